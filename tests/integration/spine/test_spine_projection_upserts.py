"""The projections' upserts as constant statements (#14, ``datapark_kit.db.newer_row_upsert``)
write exactly the rows the ``postgresql.insert(...).on_conflict_do_update(...)`` they replaced
wrote, and are compiled once.

Each case applies one sequence of snapshots twice on the real Postgres: to one row through the
Core form (kept here as the reference) and to another through the code under test; after each
step the two rows are equal but for their key: an older or equally old event changes nothing,
a newer one writes every column (NULLs, arrays, JSONB, numerics, ranges alike). The statements
the code ran hit SQLAlchemy's compiled cache after their first execution."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import Range, insert
from sqlalchemy.ext.asyncio import AsyncSession
from support.statement_cache import assert_compiled_once, cache_outcomes

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.projections import ParticipantProjection
from datapark_kit.db import Database, constant_statement, newer_row_upsert
from datapark_rental.fleet.models import FleetKit, FleetUnit, MaintenanceWindow, Offering
from datapark_rental.fleet.repository import FleetRepository
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord
from datapark_subsidy.leases.repository import LeaseRepository
from datapark_trading.listings.models import Listing
from datapark_trading.listings.repository import ListingRepository
from datapark_trading.tables import PARTICIPANTS

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

Apply = Callable[[AsyncSession, uuid.UUID, dict[str, Any]], Awaitable[Any]]


def _core(table: Table, *, insert_only: dict[str, Any] | None = None) -> Apply:
    """The Core form the constant statements replaced (the reference)."""

    async def apply(session: AsyncSession, row_id: uuid.UUID, values: dict[str, Any]) -> bool:
        statement = insert(table).values(id=row_id, **(insert_only or {}), **values)
        result = await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.id],
                set_=values,
                where=table.c.aggseq < statement.excluded.aggseq,
            ).returning(table.c.id)
        )
        return result.first() is not None

    return apply


async def _row(session: AsyncSession, table: Table, row_id: uuid.UUID) -> dict[str, Any]:
    row = (await session.execute(select(table).where(table.c.id == row_id))).one()
    return {k: v for k, v in row._mapping.items() if k not in ("id", "recorded")}


async def _same_rows(
    database: Database,
    table: Table,
    reference: Apply,
    under_test: Apply,
    snapshots: list[dict[str, Any]],
    *,
    returns_changed: bool = False,
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Apply ``snapshots`` in order to two rows, one per form; equal rows after every step.
    The last row and the statements the code under test ran."""
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    seen_all: list[tuple[str, Any]] = []
    for values in snapshots:
        async with database.unit_of_work() as session:
            expected = await reference(session, theirs, values)
            with cache_outcomes(database) as seen:
                got = await under_test(session, ours, values)
            seen_all += seen
            if returns_changed:
                assert got == expected, values["aggseq"]
            assert await _row(session, table, ours) == await _row(session, table, theirs)
    async with database.unit_of_work() as session:
        return await _row(session, table, ours), seen_all


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


async def test_the_participant_projection_writes_the_rows_it_wrote(database: Database) -> None:
    def snapshot(aggseq: int, **changes: Any) -> dict[str, Any]:
        values = {
            "name": f"Fuzhou Port Data {aggseq}",
            "kind": "company",
            "uscc": "91350100MA2XYZ1234",
            "region_code": "350102",
            "operating_region_code": "350103",
            "roles": ["participant", "partner"],
            "park_member": True,
            "group_id": "fz-group",
            "status": "active",
            "aggseq": aggseq,
            "updated_at": T0 + timedelta(minutes=aggseq),
        }
        return values | changes

    async def project(session: AsyncSession, row_id: uuid.UUID, values: dict[str, Any]) -> None:
        fields = {k: v for k, v in values.items() if k not in ("aggseq", "updated_at")}
        payload = ParticipantRegistered(
            participant_id=row_id, occurred_at=values["updated_at"], **fields
        )
        await ParticipantProjection(session, PARTICIPANTS).apply(payload, aggseq=values["aggseq"])

    last, seen = await _same_rows(
        database,
        PARTICIPANTS,
        _core(PARTICIPANTS),
        project,
        [
            snapshot(2),
            snapshot(1, name="older", status="pending"),
            snapshot(4, uscc=None, operating_region_code=None, group_id=None, roles=[]),
            snapshot(4, name="as old"),
            snapshot(3, roles=["customer"]),
        ],
    )
    assert last["name"] == "Fuzhou Port Data 4"
    assert (last["uscc"], last["group_id"], last["roles"]) == (None, None, [])
    assert_compiled_once(seen, f"INSERT INTO {PARTICIPANTS.schema}.participants ", 5)


async def test_the_fleet_projection_writes_the_rows_it_wrote(database: Database) -> None:
    def offering(aggseq: int, **changes: Any) -> dict[str, Any]:
        values = {
            "lessor_participant_id": uuid.UUID(int=1),
            "title": f"AMR fleet {aggseq}",
            "target_kind": "kit",
            "unit_id": None,
            "kit_id": uuid.UUID(int=2),
            "unit_ids": [uuid.UUID(int=3), uuid.UUID(int=4)],
            "category": "amr",
            "modes": ["rental", "lease"],
            "rate_card": {"day": "800.00", "month": "18000.00"},
            "deposit": Decimal("5000.00"),
            "min_duration_minutes": 60,
            "max_duration_minutes": None,
            "turnaround_before_minutes": 15,
            "turnaround_after_minutes": 30,
            "service_terms": {"response_hours": 4},
            "cancellation_policy": [{"hours_before": 24, "refund_percent": 100}],
            "late_fee_per_hour": Decimal("120.50"),
            "available_from": T0,
            "available_until": None,
            "location": "Hall 1",
            "state": "published",
            "aggseq": aggseq,
            "updated_at": T0 + timedelta(minutes=aggseq),
        }
        return values | changes

    async def upsert(model: Any) -> Apply:
        async def apply(session: AsyncSession, row_id: uuid.UUID, values: dict[str, Any]) -> bool:
            return await FleetRepository(session).upsert(model, row_id, values)

        return apply

    table = _table(Offering)
    last, seen = await _same_rows(
        database,
        table,
        _core(table),
        await upsert(Offering),
        [
            offering(2),
            offering(1, title="older"),
            offering(
                5,
                service_terms=None,  # JSONB null, in both forms
                late_fee_per_hour=None,
                unit_ids=[],
                modes=["rental"],
                available_until=T0 + timedelta(days=90),
            ),
            offering(5, title="as old"),
        ],
        returns_changed=True,
    )
    assert (last["title"], last["unit_ids"], last["late_fee_per_hour"]) == ("AMR fleet 5", [], None)
    assert_compiled_once(seen, "INSERT INTO rental.offerings ", 4)

    kit = _table(FleetKit)
    kits = [
        {
            "lessor_participant_id": uuid.UUID(int=1),
            "name": f"kit {n}",
            "unit_ids": ids,
            "aggseq": n,
            "updated_at": T0,
        }
        for n, ids in ((1, [uuid.UUID(int=5)]), (3, [uuid.UUID(int=6), uuid.UUID(int=7)]), (2, []))
    ]
    last, seen = await _same_rows(
        database, kit, _core(kit), await upsert(FleetKit), kits, returns_changed=True
    )
    assert last["unit_ids"] == [uuid.UUID(int=6), uuid.UUID(int=7)]
    assert_compiled_once(seen, "INSERT INTO rental.fleet_kits ", 3)

    unit = _table(FleetUnit)
    units = [
        {
            "model_id": uuid.UUID(int=8),
            "category": "amr",
            "maker": "Geek+",
            "model_name": "P800",
            "serial_number": "SN-1",
            "lessor_participant_id": uuid.UUID(int=1),
            "appraised_value": Decimal(value),
            "status": "available",
            "aggseq": n,
            "updated_at": T0,
        }
        for n, value in ((2, "250000.00"), (1, "1.00"), (3, "240000.10"))
    ]
    last, seen = await _same_rows(
        database, unit, _core(unit), await upsert(FleetUnit), units, returns_changed=True
    )
    assert last["appraised_value"] == Decimal("240000.10")
    assert_compiled_once(seen, "INSERT INTO rental.fleet_units ", 3)

    window = _table(MaintenanceWindow)
    windows = [
        {
            "unit_id": uuid.UUID(int=9),
            "period": Range(T0 + timedelta(hours=n), T0 + timedelta(hours=n + 8)),
            "reason": "servicing",
            "cancelled": cancelled,
            "reserved": False,
            "aggseq": n,
            "updated_at": T0,
        }
        for n, cancelled in ((1, False), (2, True), (1, False))
    ]
    last, seen = await _same_rows(
        database,
        window,
        _core(window),
        await upsert(MaintenanceWindow),
        windows,
        returns_changed=True,
    )
    assert last["cancelled"] is True
    assert last["period"] == Range(T0 + timedelta(hours=2), T0 + timedelta(hours=10))
    assert_compiled_once(seen, "INSERT INTO rental.maintenance_windows ", 3)


async def test_the_listing_projection_writes_the_rows_it_wrote(database: Database) -> None:
    table = _table(Listing)

    def listing(aggseq: int, rate: str, state: str) -> dict[str, Any]:
        return {
            "product_id": uuid.UUID(int=1),
            "provider_id": uuid.UUID(int=2),
            "title": f"Port congestion feed {aggseq}",
            "venue_code": "FZDX",
            "venue_fee_rate": Decimal(rate),
            "product_state": "published",
            "listing_state": state,
            "price_terms": {"model": "subscription", "unit_price": "100.00", "tiers": None},
            "aggseq": aggseq,
            "updated_at": T0 + timedelta(minutes=aggseq),
        }

    async def upsert(session: AsyncSession, row_id: uuid.UUID, values: dict[str, Any]) -> None:
        await ListingRepository(session).upsert({"id": row_id, **values})

    last, seen = await _same_rows(
        database,
        table,
        _core(table),
        upsert,
        [
            listing(2, "0.015000", "listed"),
            listing(1, "0.5", "delisted"),
            listing(3, "0.02", "x"),
            listing(3, "0.9", "as old"),
        ],
    )
    assert (last["venue_fee_rate"], last["listing_state"]) == (Decimal("0.020000"), "x")
    assert_compiled_once(seen, "INSERT INTO trading.listings ", 4)


async def test_the_lease_projection_writes_the_rows_it_wrote(database: Database) -> None:
    table = _table(LeaseRecord)

    def lease(aggseq: int, **ended: Any) -> dict[str, Any]:
        return {
            "participant_id": uuid.UUID(int=1),
            "mode": "finance_lease",
            "equipment_category": "amr",
            "cost": Decimal("300000.00"),
            "down_payment": Decimal("30000.00"),
            "activated_on": date(2026, 1, 1),
            "aggseq": aggseq,
            "updated_at": T0 + timedelta(minutes=aggseq),
        } | ended

    async def upsert(session: AsyncSession, row_id: uuid.UUID, values: dict[str, Any]) -> None:
        await LeaseRepository(session).upsert(row_id, values)

    ended = {"ended_on": date(2026, 6, 30), "end_reason": "buyout"}
    last, seen = await _same_rows(
        database,
        table,
        _core(table, insert_only={"assessed": False, "ineligible": []}),
        upsert,
        [lease(1), lease(3, **ended), lease(2), lease(4, ended_on=None, end_reason=None)],
    )
    assert (last["aggseq"], last["ended_on"], last["ineligible"]) == (4, None, [])
    # two sets of columns (with and without the end), one statement each
    ending = [(statement, hit) for statement, hit in seen if "end_reason" in statement]
    running = [(statement, hit) for statement, hit in seen if "end_reason" not in statement]
    assert_compiled_once(ending, "INSERT INTO subsidy.leases ", 2)
    assert_compiled_once(running, "INSERT INTO subsidy.leases ", 2)


async def test_rescheduling_receivables_writes_the_rows_it_wrote(database: Database) -> None:
    receivables = _table(LeaseReceivableRecord)
    new_terms = insert(receivables)
    reference = new_terms.on_conflict_do_update(
        index_elements=[receivables.c.lease_id, receivables.c.kind, receivables.c.period],
        set_={
            name: new_terms.excluded[name]
            for name in ("due_on", "amount", "interest", "fees", "opening_balance")
        },
        where=receivables.c.paid_on.is_(None),
    )
    leases = (uuid.uuid4(), uuid.uuid4())

    def rows(lease_id: uuid.UUID, amount: str, paid: date | None) -> list[dict[str, Any]]:
        return [
            {
                "lease_id": lease_id,
                "kind": "rent",
                "period": period,
                "due_on": date(2026, period, 1),
                "amount": Decimal(amount),
                "interest": Decimal("12.34"),
                "fees": Decimal("0.00"),
                "opening_balance": Decimal("1000.00") - period,
                "fell_due_on": paid if period == 1 else None,
                "paid_on": paid if period == 1 else None,
            }
            for period in (1, 2, 3)
        ]

    async def state(session: AsyncSession, lease_id: uuid.UUID) -> list[tuple[Any, ...]]:
        found = await session.execute(
            select(receivables)
            .where(receivables.c.lease_id == lease_id)
            .order_by(receivables.c.period)
        )
        return [tuple(row)[1:] for row in found]

    async with database.unit_of_work() as session:
        for lease_id in leases:
            values = {"participant_id": uuid.UUID(int=1), "mode": "finance_lease"}
            await LeaseRepository(session).upsert(
                lease_id,
                values
                | {
                    "equipment_category": "amr",
                    "cost": Decimal("1.00"),
                    "down_payment": Decimal("0.00"),
                    "activated_on": date(2026, 1, 1),
                    "aggseq": 1,
                    "updated_at": T0,
                },
            )
    ours, theirs = leases
    seen: list[tuple[str, Any]] = []
    for amount, paid in (("100.00", date(2026, 1, 2)), ("90.00", None), ("80.10", None)):
        async with database.unit_of_work() as session:
            await session.execute(reference, rows(theirs, amount, paid))
            with cache_outcomes(database) as outcomes:
                await LeaseRepository(session).reschedule(rows(ours, amount, paid))
            seen += outcomes
            assert await state(session, ours) == await state(session, theirs)
    async with database.unit_of_work() as session:
        final = await state(session, ours)
    # the paid receivable kept its terms, the others took the last ones
    assert [row[3] for row in final] == [Decimal("100.00"), Decimal("80.10"), Decimal("80.10")]
    assert_compiled_once(seen, "INSERT INTO subsidy.lease_receivables ", 3)


def test_a_statement_that_needs_python_side_defaults_is_refused() -> None:
    # MaintenanceWindow.cancelled has a Python-side default: text would leave it out
    with pytest.raises(ValueError, match="cancelled"):
        constant_statement(insert(_table(MaintenanceWindow)).values(id=uuid.uuid4()))
    assert newer_row_upsert(_table(FleetKit), ("name",)) is newer_row_upsert(
        _table(FleetKit), ("name",)
    )
