"""All SQL of bookings and unit reservations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, any_, cast, func, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, booking: Booking) -> None:
        self.session.add(booking)
        await self.session.flush()

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
        """The statement of :meth:`page`.

        A party's bookings (``customer = X OR lessor = X``) are read as two keyset walks, one
        per party column (indexes ``(customer_participant_id, id)`` and
        ``(lessor_participant_id, id)``), each stopping after a page, merged newest first
        (a few rows sorted, no join): the cost follows the page, not the table. One ``OR``
        over both columns walked the primary key and filtered, reading every newer booking
        of everyone else."""
        parties = [p for p in (party, visible_to) if p is not None]

        def narrowed(query: Select[Any]) -> Select[Any]:
            if before is not None:
                query = query.where(Booking.id < before)
            for participant_id in parties[1:]:
                query = query.where(
                    or_(
                        Booking.customer_participant_id == participant_id,
                        Booking.lessor_participant_id == participant_id,
                    )
                )
            if status is not None:
                query = query.where(Booking.status == status)
            if offering_id is not None:
                query = query.where(Booking.offering_id == offering_id)
            return query

        if not parties:
            return narrowed(select(Booking)).order_by(Booking.id.desc()).limit(limit)
        walks = union_all(
            *(
                narrowed(select(Booking.id).where(column == parties[0]))
                .order_by(Booking.id.desc())
                .limit(limit)
                for column in (Booking.customer_participant_id, Booking.lessor_participant_id)
            )
        )
        # The ids of both walks (index-only), evaluated once, then their rows by primary key
        # (a booking of one's own offering comes from both walks and is read once).
        page_ids = func.array(walks.scalar_subquery())
        return (
            select(Booking)
            .where(Booking.id == any_(page_ids))
            .order_by(Booking.id.desc())
            .limit(limit)
        )

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
        query = self.page_statement(
            before=before,
            limit=limit,
            party=party,
            visible_to=visible_to,
            status=status,
            offering_id=offering_id,
        )
        return list((await self.session.execute(query)).scalars())

    async def lock_units(self, unit_ids: Sequence[uuid.UUID]) -> None:
        """Take each unit's transaction-scoped advisory lock, in ascending key order.

        Every writer of ``unit_reservations`` that may add or widen rows of several units takes
        these first: concurrent kit bookings over the same units then queue on the first shared
        unit instead of each holding one unit's constraint check while waiting for another's
        (the ``no_double_booking`` deadlock). The locks go with the commit or rollback."""
        for key in sorted({unit_lock_key(unit_id) for unit_id in unit_ids}):
            await self.session.execute(
                select(
                    func.pg_advisory_xact_lock(cast(UNIT_LOCK_SPACE, Integer), cast(key, Integer))
                )
            )

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

        The units' locks are taken first (see :meth:`lock_units`)."""
        await self.lock_units(unit_ids)
        try:
            async with self.session.begin_nested():
                for unit_id in unit_ids:
                    self.session.add(
                        UnitReservation(
                            unit_id=unit_id,
                            period=period,
                            status=status,
                            booking_id=booking_id,
                            window_id=window_id,
                        )
                    )
                await self.session.flush()
        except IntegrityError as error:
            if is_exclusion_violation(error):
                raise ReservationClash from None
            raise

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
        query = (
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.unit_id.in_(unit_ids),
                MaintenanceWindow.period.overlaps(period),
                MaintenanceWindow.cancelled.is_(False),
            )
            .order_by(func.lower(MaintenanceWindow.period))
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

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
        query = select(Booking).where(Booking.status == "held", Booking.expires_at <= now)
        if unit_ids is not None:
            query = query.where(Booking.unit_ids.overlap(list(unit_ids)))
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
