"""An offering as projected, turned into pricing terms and a booking mode."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from datapark_rental.bookings.offering_terms import booking_mode, pricing_terms
from datapark_rental.bookings.pricing import RateUnit
from datapark_rental.fleet.models import Offering


def offering(**overrides: object) -> Offering:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "target_kind": "unit",
        "modes": ["short_term", "long_term"],
        "rate_card": {"hour": "100.00", "day": "2000.00"},
        "deposit": Decimal("5000.00"),
        "min_duration_minutes": 60,
        "max_duration_minutes": None,
        "turnaround_before_minutes": 30,
        "turnaround_after_minutes": 90,
        "cancellation_policy": [{"notice_minutes": 1440, "fee_rate": "0.2"}],
        "late_fee_per_hour": Decimal("300.00"),
        "available_from": datetime(2025, 1, 1, tzinfo=UTC),
    } | overrides
    return Offering(**values)


def test_terms_carry_rates_padding_limits_and_fees() -> None:
    terms = pricing_terms(offering(), timedelta(minutes=15))

    assert terms.rate_card.rates == {
        RateUnit.HOUR: Decimal("100.00"),
        RateUnit.DAY: Decimal("2000.00"),
    }
    assert (terms.turnaround_before, terms.turnaround_after) == (
        timedelta(minutes=30),
        timedelta(minutes=90),
    )
    assert terms.min_duration == timedelta(hours=1)
    assert terms.max_duration == timedelta(days=366)  # none offered: a year and a day
    assert terms.cancellation_tiers == ((timedelta(days=1), Decimal("0.2")),)
    assert terms.late_fee_per_hour == Decimal("300.00")
    assert terms.hold_ttl == timedelta(minutes=15)


def test_the_booking_mode_follows_the_target_and_the_length() -> None:
    assert booking_mode(offering(target_kind="kit"), timedelta(days=2)) == "robot_container"
    assert booking_mode(offering(), timedelta(days=30)) == "long_term"
    assert booking_mode(offering(), timedelta(days=29)) == "short_term"
    assert booking_mode(offering(modes=["short_term"]), timedelta(days=60)) == "short_term"
