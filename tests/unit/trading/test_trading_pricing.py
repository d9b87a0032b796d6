"""Price terms: fixed, subscription by calendar period, metered with a monthly maximum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_trading.terms.money import Money, require_cents
from datapark_trading.terms.pricing import (
    FixedPrice,
    Metered,
    MeterUnit,
    Subscription,
    add_months,
    month_start,
)


def D(text: str) -> Decimal:
    return Decimal(text)


def test_fixed_price_locks_its_price() -> None:
    assert FixedPrice(Money(D("1999.90"))).lock_amount() == Money(D("1999.90"))
    with pytest.raises(Unprocessable):
        FixedPrice(Money(D("0.00")))


def test_money_refuses_fractions_of_a_cent_and_unknown_currencies() -> None:
    with pytest.raises(Unprocessable):
        Money(D("1.005"))
    with pytest.raises(Unprocessable):
        Money(D("1.00"), "USD")
    with pytest.raises(Unprocessable):
        require_cents(D("NaN"), field="amount")
    assert str(Money(D("3"))) == "3.00 CNY"
    assert to_fen(D("2.345")) == D("2.35")
    assert to_fen(D("-2.345")) == D("-2.35")


def test_subscription_locks_all_periods_and_splits_calendar_months() -> None:
    sub = Subscription(Money(D("300.00")), period_months=1, periods=3)
    assert sub.lock_amount().amount == D("900.00")
    start = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert sub.period(start, 0) == (start, datetime(2026, 2, 28, 8, 0, tzinfo=UTC))
    assert sub.period(start, 1) == (
        datetime(2026, 2, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
    )
    assert sub.end(start) == datetime(2026, 4, 30, 8, 0, tzinfo=UTC)
    with pytest.raises(Unprocessable):
        sub.period(start, 3)


@pytest.mark.parametrize(("months", "periods"), [(0, 1), (13, 1), (1, 0), (1, 121)])
def test_subscription_bounds(months: int, periods: int) -> None:
    with pytest.raises(Unprocessable):
        Subscription(Money(D("1.00")), period_months=months, periods=periods)


def test_add_months_crosses_years_and_clamps_days() -> None:
    at = datetime(2024, 11, 30, tzinfo=UTC)
    assert add_months(at, 3) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(at, 12) == datetime(2025, 11, 30, tzinfo=UTC)
    assert month_start(datetime(2026, 5, 17, 13, 45, 3, 9, tzinfo=UTC)) == datetime(
        2026, 5, 1, tzinfo=UTC
    )


def test_metered_charge_rounds_on_the_running_total_and_stops_at_the_monthly_cap() -> None:
    per_call = Metered(
        MeterUnit.CALL, unit_price=D("0.005"), budget=Money(D("100.00")), monthly_cap=D("20.00")
    )
    assert per_call.lock_amount().amount == D("100.00")
    assert per_call.month_charge(1) == D("0.01")  # 0.005 half up
    assert per_call.increment(0, 1) == D("0.01")
    assert per_call.increment(1, 1) == D("0.00")  # 0.010 total, already charged
    assert per_call.increment(2, 1) == D("0.01")  # 0.015 → 0.02
    assert per_call.month_charge(4000) == D("20.00")
    assert per_call.month_charge(10_000) == D("20.00")
    assert per_call.increment(3990, 100) == D("0.05")  # 19.95 → capped at 20.00
    assert per_call.increment(4000, 500) == D("0.00")


def test_metered_validation() -> None:
    budget = Money(D("10.00"))
    with pytest.raises(Unprocessable):
        Metered(MeterUnit.RECORD, unit_price=D("0"), budget=budget)
    with pytest.raises(Unprocessable):
        Metered(MeterUnit.RECORD, unit_price=D("1"), budget=budget, monthly_cap=D("0.001"))
    m = Metered(MeterUnit.MEGABYTE, unit_price=D("0.8"), budget=budget)
    with pytest.raises(Unprocessable):
        m.increment(10, 0)
    with pytest.raises(Unprocessable):
        m.month_charge(-1)


@given(
    price=st.decimals(min_value=D("0.0001"), max_value=D("5"), places=4),
    cap=st.none() | st.decimals(min_value=D("0.01"), max_value=D("500"), places=2),
    batches=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=30),
)
def test_metered_increments_always_add_up_to_the_month_total(
    price: Decimal, cap: Decimal | None, batches: list[int]
) -> None:
    m = Metered(MeterUnit.CALL, unit_price=price, budget=Money(D("1.00")), monthly_cap=cap)
    used, charged = 0, D("0.00")
    for n in batches:
        step = m.increment(used, n)
        assert step >= 0
        assert step == to_fen(step)
        used += n
        charged += step
    assert charged == m.month_charge(used)
    if cap is not None:
        assert charged <= cap


def test_subscription_periods_are_due_as_they_begin() -> None:
    sub = Subscription(Money(D("300.00")), period_months=1, periods=3)
    start = datetime(2026, 1, 31, 8, 0, tzinfo=UTC)
    assert sub.periods_begun(start, start) == 1
    assert sub.due_by(start, start) == D("300.00")
    just_before = datetime(2026, 2, 28, 7, 59, tzinfo=UTC)
    assert sub.periods_begun(start, just_before) == 1
    assert sub.periods_begun(start, datetime(2026, 2, 28, 8, 0, tzinfo=UTC)) == 2
    assert sub.due_by(start, datetime(2026, 3, 31, 8, 0, tzinfo=UTC)) == D("900.00")
    assert sub.due_by(start, datetime(2027, 1, 1, tzinfo=UTC)) == D("900.00")
    assert sub.periods_begun(start, start - timedelta(seconds=1)) == 0
