"""The fleet projection's handlers on the real Postgres: snapshots never move backwards, and
maintenance windows reserve their unit (or stay unreserved when a booking was there first)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events import catalog_listings as catalog
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_rental.bookings.models import UnitReservation
from datapark_rental.fleet.models import FleetUnit, MaintenanceWindow
from datapark_rental.handlers import event_handlers

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def money(amount: str) -> catalog.Money:
    return catalog.Money(amount=amount)  # type: ignore[arg-type]


def unit_event(
    unit_id: uuid.UUID, appraised: str, event: Any = catalog.RobotUnitRegistered, **extra: Any
) -> Any:
    return event(
        unit_id=unit_id,
        model_id=uuid.uuid4(),
        category="amr",
        maker="Geek+",
        model_name="P800",
        serial_number=f"SN-{unit_id.hex[:8]}",
        lessor_participant_id=uuid.uuid4(),
        acquisition_cost=money("300000.00"),
        acquired_on=date(2025, 1, 1),
        salvage_value=money("0.00"),
        useful_life_months=60,
        appraised_value=money(appraised),
        appraised_on=date(2025, 6, 1),
        location="Hall 1",
        status="available",
        occurred_at=NOW,
        **extra,
    )


def window_event(event: Any, window_id: uuid.UUID, unit_id: uuid.UUID, start: datetime) -> Any:
    return event(
        window_id=window_id,
        unit_id=unit_id,
        start=start,
        end=start + timedelta(hours=8),
        reason="servicing",
        occurred_at=NOW,
    )


async def handle(rental: Any, payload: EventPayload, aggseq: int) -> None:
    envelope = Envelope(
        id=uuid7(),
        source="/datapark/catalog",
        type=payload.event_type,
        subject=payload.aggregate_id(),
        time=NOW,
        data=payload.to_data(),
        aggseq=aggseq,
        prevhash=GENESIS_HASH,
    ).sealed()
    async with rental.app.state.database.unit_of_work() as session:
        await event_handlers()[payload.event_type](session, envelope, payload)


async def one(rental: Any, statement: Any) -> Any:
    async with rental.app.state.database.unit_of_work() as session:
        return (await session.execute(statement)).scalars().all()


async def test_an_older_snapshot_never_overwrites_a_newer_one(rental) -> None:
    unit_id = uuid.uuid4()
    await handle(rental, unit_event(unit_id, "250000.00"), aggseq=2)
    await handle(
        rental,
        unit_event(
            unit_id, "290000.00", catalog.RobotUnitChanged, changed_fields=("appraised_value",)
        ),
        aggseq=1,
    )

    rows = await one(rental, select(FleetUnit).where(FleetUnit.id == unit_id))

    assert [(r.appraised_value, r.aggseq) for r in rows] == [(250000, 2)]


async def test_maintenance_reserves_its_unit_until_cancelled(rental) -> None:
    unit_id, window_id = uuid.uuid4(), uuid.uuid4()
    start = NOW.replace(microsecond=0) + timedelta(days=40)
    await handle(rental, unit_event(unit_id, "250000.00"), aggseq=1)
    await handle(
        rental,
        window_event(catalog.MaintenanceWindowScheduled, window_id, unit_id, start),
        aggseq=2,
    )

    reserved = await one(
        rental, select(UnitReservation.status).where(UnitReservation.window_id == window_id)
    )
    assert reserved == ["maintenance"]

    await handle(
        rental,
        window_event(catalog.MaintenanceWindowCancelled, window_id, unit_id, start),
        aggseq=3,
    )

    released = await one(
        rental, select(UnitReservation.status).where(UnitReservation.window_id == window_id)
    )
    window = await one(
        rental, select(MaintenanceWindow.cancelled).where(MaintenanceWindow.id == window_id)
    )
    assert (released, window) == (["released"], [True])


async def test_maintenance_over_an_existing_hold_is_kept_but_unreserved(rental, park) -> None:
    _, lessor = await park.company()
    unit_id = await park.unit(lessor)
    offering_id = await park.offering(lessor, unit_id=unit_id)
    _, customer = await park.company()
    start = NOW.replace(minute=0, second=0, microsecond=0) + timedelta(days=50)
    held = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={
            "offering_id": str(offering_id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=4)).isoformat(),
        },
    )
    assert held.status_code == 201, held.text
    window_id = uuid.uuid4()

    await handle(
        rental,
        window_event(
            catalog.MaintenanceWindowScheduled, window_id, unit_id, start + timedelta(hours=2)
        ),
        aggseq=10_000,
    )

    windows = await one(
        rental, select(MaintenanceWindow.reserved).where(MaintenanceWindow.id == window_id)
    )
    assert windows == [False]
    later = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={
            "offering_id": str(offering_id),
            "start": (start + timedelta(hours=7)).isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(),
        },
    )
    assert later.status_code == 409  # the unreserved window still blocks its own period
    assert later.json()["code"] == "unit_in_maintenance"
