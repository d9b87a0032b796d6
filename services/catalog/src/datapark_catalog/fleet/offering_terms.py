"""A rental offering's terms: the modes its target can serve, a non-empty rate card with the
rates each mode needs, deposit, durations and turnaround padding, service-lease terms,
cancellation tiers and a validity period.

Rental builds availability and prices from what passes here, so an offering that passes must be
complete. Durations are whole seconds (docs/CONVENTIONS.md) and a whole number of minutes:
``catalog.listings.v1`` publishes them in minutes (``datapark_catalog.fleet.events``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from datapark_catalog.terms.money import parse_money, parse_rate
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalMode,
    UsageUnit,
)
from datapark_kit.errors import Unprocessable

MINUTE = 60
DAY = 24 * 3600
MAX_TURNAROUND_SECONDS = 7 * DAY
MAX_DURATION_SECONDS = 10 * 365 * DAY
"""Ten years: longer than any rental or lease the park writes."""
MAX_NOTICE_SECONDS = 365 * DAY


@dataclass(frozen=True)
class RateCard:
    hour: Decimal | None = None
    day: Decimal | None = None
    week: Decimal | None = None
    month: Decimal | None = None

    def rates(self) -> dict[str, Decimal]:
        """The rates the card sets, by period name, from the hour to the month."""
        periods = (
            ("hour", self.hour),
            ("day", self.day),
            ("week", self.week),
            ("month", self.month),
        )
        return {name: rate for name, rate in periods if rate is not None}


@dataclass(frozen=True)
class ServiceTerms:
    usage_unit: UsageUnit
    price_per_use: Decimal
    monthly_minimum: Decimal


@dataclass(frozen=True)
class CancellationTier:
    notice_seconds: int
    fee_rate: Decimal


@dataclass(frozen=True)
class OfferingTerms:
    """Everything an offering says about price, duration and padding."""

    target_kind: OfferingTargetKind
    modes: tuple[RentalMode, ...]
    rate_card: RateCard
    deposit: Decimal
    min_duration_seconds: int
    max_duration_seconds: int | None
    turnaround_before_seconds: int
    turnaround_after_seconds: int
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


def validate_rate_card(card: RateCard, field: str = "rate_card") -> RateCard:
    rates = {
        name: parse_money(value, f"{field}.{name}", allow_zero=False)
        for name, value in card.rates().items()
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
    return replace(
        terms,
        rate_card=card,
        deposit=deposit,
        service_terms=service,
        cancellation_policy=tiers,
        late_fee_per_hour=late_fee,
    )


def whole_minutes(seconds: int, field: str, *, low: int, high: int, what: str) -> int:
    """``seconds`` within ``[low, high]`` and a whole number of minutes (what the offering's
    events carry), else ``Unprocessable`` naming ``field``."""
    if not low <= seconds <= high:
        raise Unprocessable(f"{what} is {low} to {high} seconds", field=field)
    if seconds % MINUTE:
        raise Unprocessable(f"{what} is a whole number of minutes (a multiple of 60)", field=field)
    return seconds


def _validate_durations(terms: OfferingTerms) -> None:
    whole_minutes(
        terms.min_duration_seconds,
        "min_duration_seconds",
        low=MINUTE,
        high=MAX_DURATION_SECONDS,
        what="the minimum duration",
    )
    if terms.max_duration_seconds is not None:
        whole_minutes(
            terms.max_duration_seconds,
            "max_duration_seconds",
            low=MINUTE,
            high=MAX_DURATION_SECONDS,
            what="the maximum duration",
        )
        if terms.max_duration_seconds < terms.min_duration_seconds:
            raise Unprocessable(
                "maximum duration is below the minimum", field="max_duration_seconds"
            )
    for field in ("turnaround_before_seconds", "turnaround_after_seconds"):
        value: int = getattr(terms, field)
        whole_minutes(value, field, low=0, high=MAX_TURNAROUND_SECONDS, what="turnaround padding")
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
        whole_minutes(
            tier.notice_seconds,
            f"cancellation_policy[{i}].notice_seconds",
            low=0,
            high=MAX_NOTICE_SECONDS,
            what="the notice",
        )
        if tier.notice_seconds in seen:
            raise Unprocessable(
                "two tiers with the same notice", field=f"cancellation_policy[{i}].notice_seconds"
            )
        seen.add(tier.notice_seconds)
        rate = parse_rate(tier.fee_rate, f"cancellation_policy[{i}].fee_rate")
        checked.append(CancellationTier(tier.notice_seconds, rate))
    return tuple(sorted(checked, key=lambda t: -t.notice_seconds))


def headline_rate(card: RateCard) -> Decimal:
    """The rate search shows and filters on: the shortest period on the card."""
    for rate in (card.hour, card.day, card.week, card.month):
        if rate is not None:
            return rate
    raise Unprocessable("the rate card is empty", field="rate_card")
