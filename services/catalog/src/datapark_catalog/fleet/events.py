"""Fleet aggregates as ``catalog.listings.v1`` snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet.appraisal import UnitAppraisal, appraised_value
from datapark_catalog.fleet.models import (
    MaintenanceWindowRow,
    RentalOfferingRow,
    RobotKitRow,
    RobotModelRow,
    RobotUnitRow,
)
from datapark_catalog.tables import OUTBOX
from datapark_catalog.terms.money import money_json
from datapark_contracts.events.catalog_listings import (
    MaintenanceWindowCancelled,
    MaintenanceWindowScheduled,
    RentalOfferingSnapshot,
    RobotKitSnapshot,
    RobotModelSnapshot,
    RobotUnitSnapshot,
)


def model_snapshot(
    row: RobotModelRow, event: type[RobotModelSnapshot], at: datetime
) -> RobotModelSnapshot:
    return event(
        model_id=row.id,
        maker=row.maker,
        name=row.name,
        category=row.category,
        specs=row.specs,
        occurred_at=at,
    )


def unit_snapshot(
    row: RobotUnitRow,
    model: RobotModelRow,
    event: type[RobotUnitSnapshot],
    at: datetime,
    **extra: Any,
) -> RobotUnitSnapshot:
    appraisal = UnitAppraisal(
        row.acquisition_cost, row.salvage_value, row.useful_life_months, row.acquired_on
    )
    return event.model_validate(
        {
            "unit_id": row.id,
            "model_id": row.model_id,
            "category": model.category,
            "maker": model.maker,
            "model_name": model.name,
            "serial_number": row.serial_number,
            "lessor_participant_id": row.lessor_participant_id,
            "acquisition_cost": money_json(row.acquisition_cost),
            "acquired_on": row.acquired_on,
            "salvage_value": money_json(row.salvage_value),
            "useful_life_months": row.useful_life_months,
            "appraised_value": money_json(appraised_value(appraisal, at.date())),
            "appraised_on": at.date(),
            "location": row.location,
            "status": row.status,
            "occurred_at": at,
        }
        | extra
    )


def kit_snapshot(row: RobotKitRow, event: type[RobotKitSnapshot], at: datetime) -> RobotKitSnapshot:
    return event(
        kit_id=row.id,
        lessor_participant_id=row.lessor_participant_id,
        name=row.name,
        description=row.description,
        unit_ids=tuple(row.unit_ids),
        occurred_at=at,
    )


def window_fact(
    row: MaintenanceWindowRow,
    event: type[MaintenanceWindowScheduled] | type[MaintenanceWindowCancelled],
    at: datetime,
) -> MaintenanceWindowScheduled | MaintenanceWindowCancelled:
    return event(
        window_id=row.id,
        unit_id=row.unit_id,
        start=row.starts_at,
        end=row.ends_at,
        reason=row.reason,
        occurred_at=at,
    )


def _minutes(seconds: int | None) -> int | None:
    """``catalog.listings.v1`` counts an offering's durations in whole minutes; the offering
    keeps seconds, always whole minutes (``offering_terms.whole_minutes``)."""
    return None if seconds is None else seconds // 60


def offering_snapshot(
    row: RentalOfferingRow, event: type[RentalOfferingSnapshot], at: datetime, **extra: Any
) -> RentalOfferingSnapshot:
    return event.model_validate(
        {
            "offering_id": row.id,
            "lessor_participant_id": row.lessor_participant_id,
            "title": row.title,
            "target_kind": row.target_kind,
            "unit_id": row.unit_id,
            "kit_id": row.kit_id,
            "unit_ids": tuple(row.unit_ids),
            "category": row.category,
            "modes": tuple(row.modes),
            "rate_card": row.rate_card,
            "deposit": money_json(row.deposit),
            "min_duration_minutes": _minutes(row.min_duration_seconds),
            "max_duration_minutes": _minutes(row.max_duration_seconds),
            "turnaround_before_minutes": _minutes(row.turnaround_before_seconds),
            "turnaround_after_minutes": _minutes(row.turnaround_after_seconds),
            "service_terms": row.service_terms,
            "cancellation_policy": [
                {"notice_minutes": _minutes(t["notice_seconds"]), "fee_rate": t["fee_rate"]}
                for t in row.cancellation_policy
            ],
            "late_fee_per_hour": money_json(row.late_fee_per_hour),
            "available_from": row.available_from,
            "available_until": row.available_until,
            "location": row.location,
            "state": row.state,
            "occurred_at": at,
        }
        | extra
    )


async def publish(session: AsyncSession, payload: Any, at: datetime) -> None:
    await OUTBOX.append(session, payload, occurred_at=at)
