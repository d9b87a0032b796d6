"""An offering's terms in the shape of the pure pricing rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from datapark_rental.bookings.pricing import PricingTerms, RateCard, RateUnit
from datapark_rental.fleet.models import Offering

LONG_TERM_FROM = timedelta(days=30)
DEFAULT_MAX_DURATION = timedelta(days=366)


def pricing_terms(offering: Offering, hold_ttl: timedelta) -> PricingTerms:
    """The offering's rate card, deposit, padding, limits and fee rules."""
    return PricingTerms(
        RateCard({RateUnit(unit): Decimal(price) for unit, price in offering.rate_card.items()}),
        deposit=offering.deposit,
        turnaround_before=timedelta(minutes=offering.turnaround_before_minutes),
        turnaround_after=timedelta(minutes=offering.turnaround_after_minutes),
        min_duration=timedelta(minutes=offering.min_duration_minutes),
        max_duration=(
            timedelta(minutes=offering.max_duration_minutes)
            if offering.max_duration_minutes
            else DEFAULT_MAX_DURATION
        ),
        hold_ttl=hold_ttl,
        late_fee_per_hour=offering.late_fee_per_hour,
        cancellation_tiers=tuple(
            (timedelta(minutes=int(tier["notice_minutes"])), Decimal(str(tier["fee_rate"])))
            for tier in offering.cancellation_policy
        ),
    )


def booking_mode(offering: Offering, duration: timedelta) -> str:
    """``robot_container`` for a kit; ``long_term`` from 30 days when offered; else
    ``short_term``."""
    if offering.target_kind == "kit":
        return "robot_container"
    if duration >= LONG_TERM_FROM and "long_term" in offering.modes:
        return "long_term"
    return "short_term"
