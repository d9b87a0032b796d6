"""All SQL of bookings and unit reservations."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, UUID, Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.db import table_of
from datapark_rental.bookings.models import BLOCKING_STATUSES, Booking, UnitReservation
from datapark_rental.fleet.models import MaintenanceWindow

EXCLUSION_VIOLATION = "23P01"
UNIT_LOCK_SPACE = 0x52_55_4E_54  # "RUNT": rental units in Postgres' two-int4 advisory lock space
"""The first key of every unit lock. The relay's leader lock is a single ``bigint`` key, and
Postgres keeps one-key and two-key advisory locks apart, so the two can never collide."""


def unit_lock_key(unit_id: uuid.UUID) -> int:
    """The second key of a unit's lock: the UUID's low 32 bits as a signed int4 (uuid7's tail
    is random). Two units sharing a key only wait for each other; locks are taken in key order,
    so even then no transaction waits in a cycle."""
    return int.from_bytes(unit_id.bytes[-4:], "big", signed=True)


def half_open(start: datetime, end: datetime) -> Range[datetime]:
    return Range(start, end, bounds="[)")


def is_exclusion_violation(error: IntegrityError) -> bool:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code == EXCLUSION_VIOLATION


class ReservationClash(Exception):
    """Inserting or widening reservations hit the ``no_double_booking`` constraint."""


_RESERVATIONS = table_of(UnitReservation)
_UUID = UUID(as_uuid=True)
_UUIDS = ARRAY(_UUID)
# Built once: one statement text whatever the number of units, so SQLAlchemy's compiled cache
# and asyncpg's prepared statement serve every call.
_LOCK_UNITS = text(
    # only constants and the table's own name are formatted in; values are bound
    f"SELECT pg_advisory_xact_lock({UNIT_LOCK_SPACE}, key) "  # noqa: S608
    "FROM unnest(CAST(:keys AS int4[])) AS key"
).bindparams(bindparam("keys", type_=ARRAY(Integer)))
"""The units' locks in the order of ``keys`` (a function scan yields its array in order)."""
_RESERVE = text(
    f"WITH locks AS MATERIALIZED ({_LOCK_UNITS.text}) "  # noqa: S608
    f"INSERT INTO {_RESERVATIONS.fullname} (unit_id, period, status, booking_id, window_id) "
    "SELECT unit_id, :period, :status, :booking_id, :window_id "
    "FROM unnest(CAST(:unit_ids AS uuid[])) AS unit_id "
    "WHERE (SELECT count(*) FROM locks) >= 0 "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(
    bindparam("keys", type_=ARRAY(Integer)),
    bindparam("unit_ids", type_=_UUIDS),
    bindparam("period", type_=TSTZRANGE),
    bindparam("status", type_=String),
    bindparam("booking_id", type_=UUID(as_uuid=True)),
    bindparam("window_id", type_=UUID(as_uuid=True)),
)
"""Every unit's lock (the scalar subquery runs once, before the first row is inserted), then
one row a unit; a row that would overlap an active one of its unit (``no_double_booking``) is
not inserted (``ON CONFLICT DO NOTHING`` arbitrates exclusion constraints too), and RETURNING
tells which were. No savepoint: a clash leaves the transaction usable."""
_INSERT_BOOKING = insert(table_of(Booking))
# The hold's reads, built once with their values bound at execution (not rebuilt per call).
_UNIT_IDS = bindparam("unit_ids", type_=_UUIDS)
_PERIOD = bindparam("period", type_=TSTZRANGE)
_LIVE_WINDOW = (
    select(MaintenanceWindow)
    .where(
        MaintenanceWindow.unit_id == any_(_UNIT_IDS),
        MaintenanceWindow.period.overlaps(_PERIOD),
        MaintenanceWindow.cancelled.is_(False),
    )
    .order_by(func.lower(MaintenanceWindow.period))
    .limit(1)
)
_LAPSED_OF_UNITS = (
    select(Booking)
    .where(
        Booking.status == "held",
        Booking.expires_at <= bindparam("now"),
        Booking.unit_ids.overlap(_UNIT_IDS),
    )
    .order_by(Booking.expires_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_BOOKING_COLUMNS = [(attr.key, attr.columns[0]) for attr in inspect(Booking).column_attrs]


def _page_query(
    before: uuid.UUID | None,
    limit: int,
    party: uuid.UUID | None,
    visible_to: uuid.UUID | None,
    status: str | None,
    offering_id: uuid.UUID | None,
) -> tuple[Select[tuple[Booking]], dict[str, Any]]:
    """The page's statement for this combination of filters (built once per combination)
    and the values to bind to it."""
    parties = [p for p in (party, visible_to) if p is not None]
    values: dict[str, Any] = {"limit": limit, "before": before, "status": status}
    values |= {"offering_id": offering_id}
    values |= {f"party_{n}": participant_id for n, participant_id in enumerate(parties)}
    shape = _page_shape(
        before is not None, len(parties), status is not None, offering_id is not None
    )
    return shape, {name: value for name, value in values.items() if value is not None}


@functools.cache
def _page_shape(before: bool, parties: int, status: bool, offering: bool) -> Select[tuple[Booking]]:
    """See :meth:`BookingRepository.page_statement`; values bound by name at execution."""
    limit = bindparam("limit", type_=Integer)

    def narrowed(query: Select[Any]) -> Select[Any]:
        if before:
            query = query.where(Booking.id < bindparam("before"))
        if parties > 1:
            other = bindparam("party_1", type_=_UUID)
            query = query.where(
                or_(
                    Booking.customer_participant_id == other,
                    Booking.lessor_participant_id == other,
                )
            )
        if status:
            query = query.where(Booking.status == bindparam("status"))
        if offering:
            query = query.where(Booking.offering_id == bindparam("offering_id"))
        return query

    if not parties:
        return narrowed(select(Booking)).order_by(Booking.id.desc()).limit(limit)
    first = bindparam("party_0", type_=_UUID)
    walks = union_all(
        *(
            narrowed(select(Booking.id).where(column == first))
            .order_by(Booking.id.desc())
            .limit(limit)
            for column in (Booking.customer_participant_id, Booking.lessor_participant_id)
        )
    )
    # The ids of both walks (index-only), evaluated once, then their rows by primary key
    # (a booking of one's own offering comes from both walks and is read once).
    page_ids = func.array(walks.scalar_subquery())
    return (
        select(Booking).where(Booking.id == any_(page_ids)).order_by(Booking.id.desc()).limit(limit)
    )


def lock_keys(unit_ids: Sequence[uuid.UUID]) -> list[int]:
    """The units' second lock keys, each once, ascending (the order every writer takes them)."""
    return sorted({unit_lock_key(unit_id) for unit_id in unit_ids})


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, booking: Booking) -> None:
        """Insert a new booking (one prepared INSERT, not an ORM flush). ``booking`` is not
        added to the session: fields left unset get their column defaults on the object too,
        so it reads as the stored row."""
        values: dict[str, Any] = {}
        for attribute, column in _BOOKING_COLUMNS:
            value = getattr(booking, attribute)
            if value is None and column.default is not None and column.default.is_scalar:
                value = column.default.arg
                setattr(booking, attribute, value)
            values[column.key] = value
        await self.session.execute(_INSERT_BOOKING, values)

    async def get(self, booking_id: uuid.UUID, *, for_update: bool = False) -> Booking | None:
        query = select(Booking).where(Booking.id == booking_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    @staticmethod
    def page_statement(
        *,
        before: uuid.UUID | None,
        limit: int,
        party: uuid.UUID | None = None,
        visible_to: uuid.UUID | None = None,
        status: str | None = None,
        offering_id: uuid.UUID | None = None,
    ) -> Select[tuple[Booking]]:
        """The statement of :meth:`page`, with its values bound.

        A party's bookings (``customer = X OR lessor = X``) are read as two keyset walks, one
        per party column (indexes ``(customer_participant_id, id)`` and
        ``(lessor_participant_id, id)``), each stopping after a page, merged newest first
        (a few rows sorted, no join): the cost follows the page, not the table. One ``OR``
        over both columns walked the primary key and filtered, reading every newer booking
        of everyone else."""
        shape, values = _page_query(before, limit, party, visible_to, status, offering_id)
        return shape.params(values)

    async def page(
        self,
        *,
        before: uuid.UUID | None,
        limit: int,
        party: uuid.UUID | None = None,
        visible_to: uuid.UUID | None = None,
        status: str | None = None,
        offering_id: uuid.UUID | None = None,
    ) -> list[Booking]:
        """Bookings newest first (uuid7 ids are time ordered), strictly before ``before``.

        ``party`` and ``visible_to`` each keep only bookings where that participant is the
        customer or the lessor (the filter asked for, and the caller's tenant)."""
        shape, values = _page_query(before, limit, party, visible_to, status, offering_id)
        return list((await self.session.execute(shape, values)).scalars())

    async def lock_units(self, unit_ids: Sequence[uuid.UUID]) -> None:
        """Take each unit's transaction-scoped advisory lock, in ascending key order.

        Every writer of ``unit_reservations`` that may add or widen rows of several units takes
        these first: concurrent kit bookings over the same units then queue on the first shared
        unit instead of each holding one unit's constraint check while waiting for another's
        (the ``no_double_booking`` deadlock). The locks go with the commit or rollback."""
        await self.session.execute(_LOCK_UNITS, {"keys": lock_keys(unit_ids)})

    async def reserve(
        self,
        unit_ids: Sequence[uuid.UUID],
        period: Range[datetime],
        status: str,
        *,
        booking_id: uuid.UUID | None = None,
        window_id: uuid.UUID | None = None,
    ) -> None:
        """Hold every unit over ``period``, or none (raises :class:`ReservationClash`).

        The units' locks are taken first (see :meth:`lock_units`), in the same statement."""
        inserted = (
            (
                await self.session.execute(
                    _RESERVE,
                    {
                        "keys": lock_keys(unit_ids),
                        "unit_ids": list(unit_ids),
                        "period": period,
                        "status": status,
                        "booking_id": booking_id,
                        "window_id": window_id,
                    },
                )
            )
            .scalars()
            .all()
        )
        if len(inserted) < len(unit_ids):
            if inserted:  # none or all: the units that were free are not kept
                await self.session.execute(
                    delete(UnitReservation).where(UnitReservation.id.in_(inserted))
                )
            raise ReservationClash

    async def set_reservations(
        self,
        booking_id: uuid.UUID,
        *,
        status: str | None = None,
        until: datetime | None = None,
    ) -> None:
        """Change the status of a booking's rows, and/or move their upper bound to ``until``."""
        values: dict[str, object] = {}
        if status is not None:
            values["status"] = status
        if until is not None:
            values["period"] = func.tstzrange(func.lower(UnitReservation.period), until, "[)")
        if not values:
            return
        if until is not None:  # widening may clash like an insert: same locks, same order
            units = select(UnitReservation.unit_id).where(UnitReservation.booking_id == booking_id)
            await self.lock_units(list((await self.session.execute(units)).scalars()))
        statement = (
            update(UnitReservation).where(UnitReservation.booking_id == booking_id).values(values)
        )
        try:
            async with self.session.begin_nested():
                await self.session.execute(statement)
        except IntegrityError as error:
            if is_exclusion_violation(error):
                raise ReservationClash from None
            raise

    async def release_window(self, window_id: uuid.UUID) -> None:
        await self.session.execute(
            update(UnitReservation)
            .where(UnitReservation.window_id == window_id)
            .values(status="released")
        )

    async def first_clash(
        self,
        unit_ids: Sequence[uuid.UUID],
        period: Range[datetime],
        *,
        excluding_booking: uuid.UUID | None = None,
    ) -> UnitReservation | None:
        """The earliest blocking reservation of these units overlapping ``period``."""
        query = (
            select(UnitReservation)
            .where(
                UnitReservation.unit_id.in_(unit_ids),
                UnitReservation.period.overlaps(period),
                UnitReservation.status.in_(BLOCKING_STATUSES),
            )
            .order_by(func.lower(UnitReservation.period))
            .limit(1)
        )
        if excluding_booking is not None:
            query = query.where(
                (UnitReservation.booking_id.is_(None))
                | (UnitReservation.booking_id != excluding_booking)
            )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def maintenance_overlapping(
        self, unit_ids: Sequence[uuid.UUID], period: Range[datetime]
    ) -> MaintenanceWindow | None:
        """A live maintenance window of these units over ``period`` (reserved or not)."""
        found = await self.session.execute(
            _LIVE_WINDOW, {"unit_ids": list(unit_ids), "period": period}
        )
        return found.scalar_one_or_none()

    async def blocked_periods(
        self, unit_ids: Sequence[uuid.UUID], period: Range[datetime]
    ) -> list[tuple[datetime, datetime]]:
        """Every blocking reservation and live maintenance window over ``period``."""
        reservations = select(
            func.lower(UnitReservation.period), func.upper(UnitReservation.period)
        ).where(
            UnitReservation.unit_id.in_(unit_ids),
            UnitReservation.period.overlaps(period),
            UnitReservation.status.in_(BLOCKING_STATUSES),
        )
        windows = select(
            func.lower(MaintenanceWindow.period), func.upper(MaintenanceWindow.period)
        ).where(
            MaintenanceWindow.unit_id.in_(unit_ids),
            MaintenanceWindow.period.overlaps(period),
            MaintenanceWindow.cancelled.is_(False),
        )
        rows = await self.session.execute(reservations.union_all(windows))
        return [(row[0], row[1]) for row in rows]

    async def lapsed_holds(
        self, now: datetime, *, unit_ids: Sequence[uuid.UUID] | None = None, limit: int = 100
    ) -> list[Booking]:
        """Holds past their TTL, locked (skipping rows another worker holds)."""
        if unit_ids is not None:
            found = await self.session.execute(
                _LAPSED_OF_UNITS, {"now": now, "unit_ids": list(unit_ids), "limit": limit}
            )
            return list(found.scalars())
        query = select(Booking).where(Booking.status == "held", Booking.expires_at <= now)
        query = query.order_by(Booking.expires_at).limit(limit).with_for_update(skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def newly_overdue(self, now: datetime, *, limit: int = 100) -> list[Booking]:
        query = (
            select(Booking)
            .where(
                and_(Booking.status == "checked_out", Booking.end < now, Booking.overdue.is_(False))
            )
            .order_by(Booking.end)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())
