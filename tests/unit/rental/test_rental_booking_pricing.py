"""Quotes: the cheapest rate-card combination, itemised, plus deposit and padding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_kit.errors import Unprocessable
from datapark_rental.bookings.pricing import (
    UNIT_HOURS,
    PricingTerms,
    QuoteLine,
    RateCard,
    RateUnit,
    cheapest_cover,
    extension_price,
    quote,
)

D = Decimal
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
CARD = RateCard(
    {
        RateUnit.HOUR: D("10"),
        RateUnit.DAY: D("200"),
        RateUnit.WEEK: D("900"),
        RateUnit.MONTH: D("3000"),
    }
)
TERMS = PricingTerms(
    CARD,
    deposit=D("5000"),
    turnaround_before=timedelta(hours=2),
    turnaround_after=timedelta(hours=1),
    min_duration=timedelta(hours=1),
    max_duration=timedelta(days=90),
)


LONG_UNITS = (RateUnit.MONTH, RateUnit.WEEK, RateUnit.DAY)


def lines(hours: int, card: RateCard = CARD) -> list[tuple[RateUnit, int, Decimal]]:
    return [(ln.unit, ln.quantity, ln.amount) for ln in cheapest_cover(hours, card)]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (2, [(RateUnit.HOUR, 2, D("20.00"))]),
        (20, [(RateUnit.DAY, 1, D("200.00"))]),  # 200 either way: fewer units win
        (25, [(RateUnit.DAY, 1, D("200.00")), (RateUnit.HOUR, 1, D("10.00"))]),
        (120, [(RateUnit.WEEK, 1, D("900.00"))]),  # a week beats 5 days (1,000)
        (31 * 24, [(RateUnit.MONTH, 1, D("3000.00")), (RateUnit.DAY, 1, D("200.00"))]),
        (
            8 * 24 + 3,
            [
                (RateUnit.WEEK, 1, D("900.00")),
                (RateUnit.DAY, 1, D("200.00")),
                (RateUnit.HOUR, 3, D("30.00")),
            ],
        ),
    ],
)
def test_the_cheapest_combination_covers_the_duration(
    hours: int, expected: list[tuple[RateUnit, int, Decimal]]
) -> None:
    assert lines(hours) == expected


def test_a_card_without_hours_rounds_up_to_days() -> None:
    card = RateCard({RateUnit.DAY: D("150"), RateUnit.WEEK: D("800")})

    assert lines(30, card) == [(RateUnit.DAY, 2, D("300.00"))]


@settings(max_examples=80, deadline=None)
@given(
    hours=st.integers(min_value=1, max_value=1600),
    rates=st.tuples(*[st.integers(min_value=1, max_value=5000)] * 4),
)
def test_no_combination_covering_the_duration_is_cheaper(
    hours: int, rates: tuple[int, int, int, int]
) -> None:
    card = RateCard(dict(zip(RateUnit, (D(r) for r in rates), strict=True)))
    best = sum(ln.amount for ln in cheapest_cover(hours, card))
    covered = sum(UNIT_HOURS[ln.unit] * ln.quantity for ln in cheapest_cover(hours, card))

    assert covered >= hours
    # Brute force over months, weeks and days; hours fill the rest (or are unpriced).
    for months, weeks, days in product(*(range(hours // UNIT_HOURS[u] + 2) for u in LONG_UNITS)):
        rest = hours - 720 * months - 168 * weeks - 24 * days
        cost = months * D(rates[3]) + weeks * D(rates[2]) + days * D(rates[1])
        assert best <= cost + max(rest, 0) * D(rates[0])


def test_a_quote_is_itemised_with_deposit_and_padding() -> None:
    result = quote(TERMS, START, START + timedelta(hours=24, minutes=30), NOW)

    assert result.billable_hours == 25  # started hours
    assert result.lines == (
        QuoteLine(RateUnit.DAY, 1, D("200.00"), D("200.00")),
        QuoteLine(RateUnit.HOUR, 1, D("10.00"), D("10.00")),
    )
    assert result.rental == D("210.00")
    assert result.deposit == D("5000.00")
    assert result.total == D("5210.00")
    assert result.reserved_from == START - timedelta(hours=2)
    assert result.reserved_until == START + timedelta(hours=25, minutes=30)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (START, START, "end"),
        (START, START - timedelta(hours=1), "end"),
        (NOW - timedelta(minutes=1), START, "start"),
        (START, START + timedelta(days=90, seconds=1), "end"),
        (START, START + timedelta(minutes=59), "end"),
        (START.replace(tzinfo=None), START + timedelta(hours=1), "start"),
    ],
)
def test_bad_periods_are_refused_naming_the_field(
    start: datetime, end: datetime, field: str
) -> None:
    with pytest.raises(Unprocessable) as caught:
        quote(TERMS, start, end, NOW)

    assert caught.value.extra["errors"][0]["field"] == field


def test_the_maximum_duration_itself_is_allowed() -> None:
    assert quote(TERMS, START, START + timedelta(days=90), NOW).billable_hours == 90 * 24


def test_an_extension_costs_the_difference_of_best_prices() -> None:
    end = START + timedelta(hours=20)

    assert extension_price(TERMS, START, end, START + timedelta(hours=25)) == D("10.00")
    assert extension_price(TERMS, START, end, START + timedelta(days=5)) == D("700.00")
    with pytest.raises(Unprocessable):
        extension_price(TERMS, START, end, end)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"deposit": D("-1")}, "deposit"),
        ({"late_fee_per_hour": D("1.234")}, "late_fee_per_hour"),
        ({"hold_ttl": timedelta(0)}, "hold_ttl"),
        ({"turnaround_after": timedelta(hours=-1)}, "turnaround_after"),
        (
            {"cancellation_tiers": ((timedelta(0), D("0.5")), (timedelta(hours=1), D("0")))},
            "cancellation_tiers",
        ),
    ],
)
def test_bad_offering_terms_are_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        PricingTerms(CARD, **kwargs)  # type: ignore[arg-type]

    assert caught.value.extra["errors"][0]["field"] == field


def test_a_rate_card_needs_a_positive_rate() -> None:
    with pytest.raises(Unprocessable):
        RateCard({})
    with pytest.raises(Unprocessable):
        RateCard({RateUnit.DAY: D("0")})
