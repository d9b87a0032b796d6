"""The fleet projection: catalog's unit, kit, offering and maintenance snapshots upserted.

Each handler runs in the consumer's transaction with the inbox row. Rows carry the
``aggseq`` of the event that wrote them and ignore anything older, so redelivery and replays
never move the view backwards. A maintenance window also reserves its unit in
``unit_reservations`` (the same exclusion constraint as bookings); when a booking already holds
part of the window the reservation cannot be taken, the window is kept unreserved and bookings
still check it, and the clash is logged for the operator.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events import catalog_listings as catalog
from datapark_eventing.consumer import Handler
from datapark_rental.bookings.repository import BookingRepository, ReservationClash, half_open
from datapark_rental.fleet.models import FleetKit, FleetUnit, MaintenanceWindow, Offering
from datapark_rental.fleet.repository import FleetRepository

log = logging.getLogger("datapark.rental.fleet")


async def project_unit(
    session: AsyncSession, envelope: Envelope, payload: catalog.RobotUnitSnapshot
) -> None:
    await FleetRepository(session).upsert(
        FleetUnit,
        payload.unit_id,
        {
            "model_id": payload.model_id,
            "category": payload.category.value,
            "maker": payload.maker,
            "model_name": payload.model_name,
            "serial_number": payload.serial_number,
            "lessor_participant_id": payload.lessor_participant_id,
            "appraised_value": payload.appraised_value.amount,
            "status": payload.status.value,
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        },
    )


async def project_kit(
    session: AsyncSession, envelope: Envelope, payload: catalog.RobotKitSnapshot
) -> None:
    await FleetRepository(session).upsert(
        FleetKit,
        payload.kit_id,
        {
            "lessor_participant_id": payload.lessor_participant_id,
            "name": payload.name,
            "unit_ids": list(payload.unit_ids),
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        },
    )


def _rate_card(card: catalog.RateCard) -> dict[str, str]:
    rates = {"hour": card.hour, "day": card.day, "week": card.week, "month": card.month}
    return {unit: f"{money.amount:.2f}" for unit, money in rates.items() if money is not None}


async def project_offering(
    session: AsyncSession, envelope: Envelope, payload: catalog.RentalOfferingSnapshot
) -> None:
    service: dict[str, Any] | None = (
        payload.service_terms.model_dump(mode="json") if payload.service_terms else None
    )
    await FleetRepository(session).upsert(
        Offering,
        payload.offering_id,
        {
            "lessor_participant_id": payload.lessor_participant_id,
            "title": payload.title,
            "target_kind": payload.target_kind.value,
            "unit_id": payload.unit_id,
            "kit_id": payload.kit_id,
            "unit_ids": list(payload.unit_ids),
            "category": payload.category.value,
            "modes": [mode.value for mode in payload.modes],
            "rate_card": _rate_card(payload.rate_card),
            "deposit": payload.deposit.amount,
            "min_duration_minutes": payload.min_duration_minutes,
            "max_duration_minutes": payload.max_duration_minutes,
            "turnaround_before_minutes": payload.turnaround_before_minutes,
            "turnaround_after_minutes": payload.turnaround_after_minutes,
            "service_terms": service,
            "cancellation_policy": [t.model_dump(mode="json") for t in payload.cancellation_policy],
            "late_fee_per_hour": (
                payload.late_fee_per_hour.amount if payload.late_fee_per_hour else None
            ),
            "available_from": payload.available_from,
            "available_until": payload.available_until,
            "location": payload.location,
            "state": payload.state.value,
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        },
    )


async def maintenance_scheduled(
    session: AsyncSession, envelope: Envelope, payload: catalog.MaintenanceWindowScheduled
) -> None:
    fleet, bookings = FleetRepository(session), BookingRepository(session)
    period = half_open(payload.start, payload.end)
    changed = await fleet.upsert(
        MaintenanceWindow,
        payload.window_id,
        {
            "unit_id": payload.unit_id,
            "period": period,
            "reason": payload.reason,
            "cancelled": False,
            "reserved": False,
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        },
    )
    if not changed:
        return
    window = await fleet.window(payload.window_id, for_update=True)
    assert window is not None
    await bookings.release_window(window.id)
    try:
        await bookings.reserve([payload.unit_id], period, "maintenance", window_id=window.id)
        window.reserved = True
    except ReservationClash:
        log.warning(
            "maintenance window %s of unit %s overlaps a booking; kept unreserved",
            payload.window_id,
            payload.unit_id,
        )


async def maintenance_cancelled(
    session: AsyncSession, envelope: Envelope, payload: catalog.MaintenanceWindowCancelled
) -> None:
    fleet = FleetRepository(session)
    changed = await fleet.upsert(
        MaintenanceWindow,
        payload.window_id,
        {
            "unit_id": payload.unit_id,
            "period": half_open(payload.start, payload.end),
            "reason": payload.reason,
            "cancelled": True,
            "reserved": False,
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        },
    )
    if changed:
        await BookingRepository(session).release_window(payload.window_id)


def fleet_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for unit_event in (catalog.RobotUnitRegistered, catalog.RobotUnitChanged):
        handlers[unit_event.event_type] = project_unit
    for kit_event in (catalog.RobotKitRegistered, catalog.RobotKitChanged):
        handlers[kit_event.event_type] = project_kit
    for offering_event in (
        catalog.RentalOfferingPublished,
        catalog.RentalOfferingChanged,
        catalog.RentalOfferingWithdrawn,
    ):
        handlers[offering_event.event_type] = project_offering
    handlers[catalog.MaintenanceWindowScheduled.event_type] = maintenance_scheduled
    handlers[catalog.MaintenanceWindowCancelled.event_type] = maintenance_cancelled
    return handlers
