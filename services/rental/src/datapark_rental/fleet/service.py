"""Keeping rental's view of catalog's fleet: units, kits and rental offerings.

Rows carry the ``aggseq`` of the event that wrote them and ignore anything older, so
redelivery and replays never move the view backwards. (Maintenance windows also take their
unit's time: ``datapark_rental.bookings.maintenance``.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import catalog_listings as catalog
from datapark_rental.fleet.models import FleetKit, FleetUnit, Offering
from datapark_rental.fleet.repository import FleetRepository


def _rate_card(card: catalog.RateCard) -> dict[str, str]:
    rates = {"hour": card.hour, "day": card.day, "week": card.week, "month": card.month}
    return {unit: f"{money.amount:.2f}" for unit, money in rates.items() if money is not None}


class FleetProjection:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = FleetRepository(session)

    async def unit(self, payload: catalog.RobotUnitSnapshot, *, aggseq: int) -> None:
        """Upsert a robot unit as catalog last described it."""
        await self.repo.upsert(
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
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            },
        )

    async def kit(self, payload: catalog.RobotKitSnapshot, *, aggseq: int) -> None:
        """Upsert a robot kit (its units) as catalog last described it."""
        await self.repo.upsert(
            FleetKit,
            payload.kit_id,
            {
                "lessor_participant_id": payload.lessor_participant_id,
                "name": payload.name,
                "unit_ids": list(payload.unit_ids),
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            },
        )

    async def offering(self, payload: catalog.RentalOfferingSnapshot, *, aggseq: int) -> None:
        """Upsert a rental offering (its terms and state) as catalog last described it."""
        service: dict[str, Any] | None = (
            payload.service_terms.model_dump(mode="json") if payload.service_terms else None
        )
        await self.repo.upsert(
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
                "cancellation_policy": [
                    t.model_dump(mode="json") for t in payload.cancellation_policy
                ],
                "late_fee_per_hour": (
                    payload.late_fee_per_hour.amount if payload.late_fee_per_hour else None
                ),
                "available_from": payload.available_from,
                "available_until": payload.available_until,
                "location": payload.location,
                "state": payload.state.value,
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            },
        )
