"""The robot fleet: units and their appraised value, kits (机器人集装箱, "robot containers"),
maintenance windows and rental offerings.

Rental builds availability and prices from what these rules let through, so an offering that
passes here must be complete: modes its target can serve, a non-empty rate card with the rates
each mode needs, sane durations and padding, and a validity period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from datapark_catalog.problems import CatalogProblem
from datapark_catalog.terms.money import parse_money, parse_rate
from datapark_catalog.valuations.depreciation import straight_line_value
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalMode,
    RobotUnitStatus,
    UsageUnit,
)
from datapark_kit.errors import Conflict, Unprocessable

MAX_USEFUL_LIFE_MONTHS = 600
MINUTES_PER_DAY = 24 * 60


# --- units ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitAppraisal:
    """What straight-line depreciation needs: cost, salvage, life, acquisition date."""

    acquisition_cost: Decimal
    salvage_value: Decimal
    useful_life_months: int
    acquired_on: date


def validate_appraisal(a: UnitAppraisal) -> UnitAppraisal:
    cost = parse_money(a.acquisition_cost, "acquisition_cost", allow_zero=False)
    salvage = parse_money(a.salvage_value, "salvage_value")
    if salvage > cost:
        raise Unprocessable("salvage value must not exceed the cost", field="salvage_value")
    if not 0 < a.useful_life_months <= MAX_USEFUL_LIFE_MONTHS:
        raise Unprocessable(
            f"useful life is 1 to {MAX_USEFUL_LIFE_MONTHS} months", field="useful_life_months"
        )
    return UnitAppraisal(cost, salvage, a.useful_life_months, a.acquired_on)


def appraised_value(a: UnitAppraisal, as_of: date) -> Decimal:
    """The unit's value as of a date: straight line from cost to salvage over its life."""
    validate_appraisal(a)
    return straight_line_value(
        a.acquisition_cost, a.salvage_value, a.useful_life_months, a.acquired_on, as_of
    )


def validate_serial_number(serial: str) -> str:
    cleaned = serial.strip()
    if not cleaned or len(cleaned) > 64 or not cleaned.isprintable():
        raise Unprocessable("a serial number is 1 to 64 printable characters", field="serial")
    return cleaned


# --- kits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRef:
    """What kit and offering rules need to know of a unit."""

    unit_id: UUID
    lessor_participant_id: UUID
    status: RobotUnitStatus


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


# --- maintenance windows ----------------------------------------------------------------------


def validate_window(start: datetime, end: datetime) -> None:
    """A maintenance window is a half-open period ``[start, end)`` with aware datetimes."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("times need an offset", field="start")
    if end <= start:
        raise Unprocessable("a window ends after it starts", field="end")


# --- rental offerings -------------------------------------------------------------------------


@dataclass(frozen=True)
class RateCard:
    hour: Decimal | None = None
    day: Decimal | None = None
    week: Decimal | None = None
    month: Decimal | None = None


@dataclass(frozen=True)
class ServiceTerms:
    usage_unit: UsageUnit
    price_per_use: Decimal
    monthly_minimum: Decimal


@dataclass(frozen=True)
class CancellationTier:
    notice_minutes: int
    fee_rate: Decimal


@dataclass(frozen=True)
class OfferingTerms:
    """Everything an offering says about price, duration and padding."""

    target_kind: OfferingTargetKind
    modes: tuple[RentalMode, ...]
    rate_card: RateCard
    deposit: Decimal
    min_duration_minutes: int
    max_duration_minutes: int | None
    turnaround_before_minutes: int
    turnaround_after_minutes: int
    available_from: datetime
    available_until: datetime | None = None
    service_terms: ServiceTerms | None = None
    cancellation_policy: tuple[CancellationTier, ...] = ()
    late_fee_per_hour: Decimal | None = None


MODES_BY_TARGET: dict[OfferingTargetKind, frozenset[RentalMode]] = {
    OfferingTargetKind.UNIT: frozenset(
        {
            RentalMode.SHORT_TERM,
            RentalMode.LONG_TERM,
            RentalMode.FINANCING_LEASE,
            RentalMode.SERVICE_LEASE,
        }
    ),
    OfferingTargetKind.KIT: frozenset(
        {RentalMode.ROBOT_CONTAINER, RentalMode.SHORT_TERM, RentalMode.LONG_TERM}
    ),
}
"""A kit rents as one line (never financed or leased per use); a unit is never a container."""

MAX_TURNAROUND_MINUTES = 7 * MINUTES_PER_DAY


def validate_rate_card(card: RateCard, field: str = "rate_card") -> RateCard:
    rates = {
        name: parse_money(value, f"{field}.{name}", allow_zero=False)
        for name, value in (
            ("hour", card.hour),
            ("day", card.day),
            ("week", card.week),
            ("month", card.month),
        )
        if value is not None
    }
    if not rates:
        raise Unprocessable("the rate card is empty", field=field)
    return RateCard(**rates)


def validate_offering(terms: OfferingTerms) -> OfferingTerms:
    """Check an offering's terms; ``Unprocessable`` names the offending field."""
    if not terms.modes:
        raise Unprocessable("at least one rental mode is needed", field="modes")
    if len(set(terms.modes)) != len(terms.modes):
        raise Unprocessable("a mode appears twice", field="modes")
    allowed = MODES_BY_TARGET[terms.target_kind]
    for i, mode in enumerate(terms.modes):
        if mode not in allowed:
            raise Unprocessable(
                f"a {terms.target_kind.value} cannot be offered as {mode.value}",
                field=f"modes[{i}]",
            )
    card = validate_rate_card(terms.rate_card)
    if RentalMode.LONG_TERM in terms.modes and card.month is None:
        raise Unprocessable("long-term rental needs a monthly rate", field="rate_card.month")
    if RentalMode.SHORT_TERM in terms.modes and (
        card.hour is None and card.day is None and card.week is None
    ):
        raise Unprocessable(
            "short-term rental needs an hourly, daily or weekly rate", field="rate_card"
        )
    deposit = parse_money(terms.deposit, "deposit")
    _validate_durations(terms)
    service = _validate_service_terms(terms)
    tiers = _validate_cancellation(terms.cancellation_policy)
    late_fee = None
    if terms.late_fee_per_hour is not None:
        late_fee = parse_money(terms.late_fee_per_hour, "late_fee_per_hour")
    return OfferingTerms(
        target_kind=terms.target_kind,
        modes=terms.modes,
        rate_card=card,
        deposit=deposit,
        min_duration_minutes=terms.min_duration_minutes,
        max_duration_minutes=terms.max_duration_minutes,
        turnaround_before_minutes=terms.turnaround_before_minutes,
        turnaround_after_minutes=terms.turnaround_after_minutes,
        available_from=terms.available_from,
        available_until=terms.available_until,
        service_terms=service,
        cancellation_policy=tiers,
        late_fee_per_hour=late_fee,
    )


def _validate_durations(terms: OfferingTerms) -> None:
    if terms.min_duration_minutes <= 0:
        raise Unprocessable("minimum duration must be positive", field="min_duration_minutes")
    if terms.max_duration_minutes is not None and (
        terms.max_duration_minutes < terms.min_duration_minutes
    ):
        raise Unprocessable("maximum duration is below the minimum", field="max_duration_minutes")
    for field in ("turnaround_before_minutes", "turnaround_after_minutes"):
        value: int = getattr(terms, field)
        if not 0 <= value <= MAX_TURNAROUND_MINUTES:
            raise Unprocessable(
                f"turnaround padding is 0 to {MAX_TURNAROUND_MINUTES} minutes", field=field
            )
    if terms.available_from.tzinfo is None:
        raise Unprocessable("times need an offset", field="available_from")
    if terms.available_until is not None and terms.available_until <= terms.available_from:
        raise Unprocessable("the offering ends before it starts", field="available_until")


def _validate_service_terms(terms: OfferingTerms) -> ServiceTerms | None:
    if RentalMode.SERVICE_LEASE not in terms.modes:
        if terms.service_terms is not None:
            raise Unprocessable("service terms need the service_lease mode", field="service_terms")
        return None
    if terms.service_terms is None:
        raise Unprocessable("a service lease needs service terms", field="service_terms")
    s = terms.service_terms
    return ServiceTerms(
        s.usage_unit,
        parse_money(s.price_per_use, "service_terms.price_per_use", allow_zero=False),
        parse_money(s.monthly_minimum, "service_terms.monthly_minimum"),
    )


def _validate_cancellation(
    tiers: tuple[CancellationTier, ...],
) -> tuple[CancellationTier, ...]:
    seen: set[int] = set()
    checked = []
    for i, tier in enumerate(tiers):
        if tier.notice_minutes < 0:
            raise Unprocessable(
                "notice must not be negative", field=f"cancellation_policy[{i}].notice_minutes"
            )
        if tier.notice_minutes in seen:
            raise Unprocessable(
                "two tiers with the same notice", field=f"cancellation_policy[{i}].notice_minutes"
            )
        seen.add(tier.notice_minutes)
        rate = parse_rate(tier.fee_rate, f"cancellation_policy[{i}].fee_rate")
        checked.append(CancellationTier(tier.notice_minutes, rate))
    return tuple(sorted(checked, key=lambda t: -t.notice_minutes))


# --- offerings that compete for the same unit -------------------------------------------------


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
