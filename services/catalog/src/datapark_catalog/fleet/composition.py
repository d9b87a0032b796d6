"""Which units a kit, an offering or a maintenance window may hold: a kit is a set of one
lessor's live units, only a lessor's own live units are offered, a unit is never in two kits'
offerings for overlapping periods (a container booking must be able to hold every unit of its
kit), and a maintenance window is a half-open period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from datapark_catalog.fleet.models import RobotUnitRow
from datapark_catalog.problems import CatalogProblem
from datapark_contracts.events.catalog_listings import OfferingTargetKind, RobotUnitStatus
from datapark_kit.errors import Conflict, Unprocessable


@dataclass(frozen=True)
class UnitRef:
    """What kit and offering rules need to know of a unit."""

    unit_id: UUID
    lessor_participant_id: UUID
    status: RobotUnitStatus


def unit_ref(unit: RobotUnitRow) -> UnitRef:
    return UnitRef(unit.id, unit.lessor_participant_id, RobotUnitStatus(unit.status))


def validate_kit(
    lessor_participant_id: UUID, name: str, units: Sequence[UnitRef]
) -> tuple[UUID, ...]:
    """A kit is a named, non-empty set of distinct, non-retired units of one lessor."""
    if not name.strip():
        raise Unprocessable("a kit needs a name", field="name")
    if not units:
        raise Unprocessable("a kit needs at least one unit", field="unit_ids")
    ids = [u.unit_id for u in units]
    if len(set(ids)) != len(ids):
        raise Unprocessable("a unit appears twice in the kit", field="unit_ids")
    for i, unit in enumerate(units):
        if unit.lessor_participant_id != lessor_participant_id:
            raise Unprocessable(
                f"unit {unit.unit_id} is not one of your units", field=f"unit_ids[{i}]"
            )
        if unit.status is RobotUnitStatus.RETIRED:
            raise Unprocessable(f"unit {unit.unit_id} is retired", field=f"unit_ids[{i}]")
    return tuple(ids)


def validate_window(start: datetime, end: datetime) -> None:
    """A maintenance window is a half-open period ``[start, end)`` with aware datetimes."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("times need an offset", field="start")
    if end <= start:
        raise Unprocessable("a window ends after it starts", field="end")


@dataclass(frozen=True)
class OfferingFootprint:
    """The units a published offering holds and the period it is valid for."""

    offering_id: UUID
    target_kind: OfferingTargetKind
    kit_id: UUID | None
    unit_ids: frozenset[UUID]
    available_from: datetime
    available_until: datetime | None


def periods_overlap(
    a_start: datetime, a_end: datetime | None, b_start: datetime, b_end: datetime | None
) -> bool:
    """Half-open ``[start, end)`` periods, ``None`` meaning open-ended."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def ensure_no_kit_overlap(
    candidate: OfferingFootprint, others: Iterable[OfferingFootprint]
) -> None:
    """A unit may not be in two kits' offerings whose validity periods overlap: a container
    booking must be able to hold every unit of its kit.

    Raises ``Unprocessable`` on ``unit_ids`` naming the unit and the other offering.
    """
    if candidate.target_kind is not OfferingTargetKind.KIT:
        return
    for other in others:
        if other.offering_id == candidate.offering_id:
            continue
        if other.target_kind is not OfferingTargetKind.KIT or other.kit_id == candidate.kit_id:
            continue
        shared = candidate.unit_ids & other.unit_ids
        if shared and periods_overlap(
            candidate.available_from,
            candidate.available_until,
            other.available_from,
            other.available_until,
        ):
            unit = sorted(shared)[0]
            raise Unprocessable(
                f"unit {unit} is already in kit {other.kit_id}'s offering "
                f"{other.offering_id} for an overlapping period",
                field="unit_ids",
                code=CatalogProblem.UNIT_IN_OVERLAPPING_KIT_OFFERING,
            )


def ensure_units_offerable(units: Sequence[UnitRef], lessor_participant_id: UUID) -> None:
    """Only the lessor's own, non-retired units can be offered."""
    for i, unit in enumerate(units):
        if unit.lessor_participant_id != lessor_participant_id:
            raise Unprocessable(
                f"unit {unit.unit_id} is not one of your units", field=f"unit_ids[{i}]"
            )
        if unit.status is RobotUnitStatus.RETIRED:
            raise Conflict(f"unit {unit.unit_id} is retired", code=CatalogProblem.UNIT_RETIRED)
