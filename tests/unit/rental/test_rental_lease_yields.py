"""APR/IRR over every cash flow of a lease."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_rental.leases.schedule import LeaseTerms, build_schedule
from datapark_rental.leases.yields import (
    NoYield,
    internal_rate_of_return,
    lease_cash_flows,
    lease_yield,
    net_present_value,
)

D = Decimal


def terms(**overrides: object) -> LeaseTerms:
    base: dict[str, object] = {
        "equipment_cost": D("1000000"),
        "down_payment_rate": D("0.10"),
        "term_months": 36,
        "annual_rate": D("0.06"),
        "start_date": date(2024, 1, 15),
    }
    base.update(overrides)
    return LeaseTerms(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flows", "rate"),
    [
        ([D(-100), D(110)], D("0.1")),
        ([D(-100), D(0), D(121)], D("0.1")),
        ([D(-100), D(90)], D("-0.1")),
        ([D(-100), D(100)], D("0")),
        ([D(100), D(-110)], D("0.1")),
    ],
)
def test_irr_of_known_flows(flows: list[Decimal], rate: Decimal) -> None:
    assert abs(internal_rate_of_return(flows) - rate) < D("1e-15")


def test_flows_without_a_sign_change_have_no_yield() -> None:
    with pytest.raises(NoYield):
        internal_rate_of_return([D(100), D(100)])


def test_without_fees_the_apr_is_the_contract_rate() -> None:
    result = lease_yield(build_schedule(terms()))

    assert result.apr == D("0.060000")
    assert result.effective_annual_rate == D("0.061678")  # 1.005^12 − 1


def test_cash_flows_include_down_payment_fees_deposit_balloon_and_buyout() -> None:
    schedule = build_schedule(
        terms(fees=D("10000"), deposit=D("50000"), buyout_price=D("1000"), balloon=D("100000"))
    )
    flows = lease_cash_flows(schedule)

    assert flows[0] == D("-1000000") + D("100000.00") + D("10000") + D("50000")
    assert flows[1] == schedule.installments[0].payment
    assert flows[36] == schedule.installments[-1].payment + D("100000") + D("1000") - D("50000")


def test_fees_deposit_and_buyout_price_raise_the_real_yield() -> None:
    schedule = build_schedule(terms(fees=D("10000"), deposit=D("50000"), buyout_price=D("1000")))
    result = lease_yield(schedule)

    assert result.apr > D("0.06")
    assert result.apr == D("0.075886")
    assert abs(net_present_value(result.monthly_rate, lease_cash_flows(schedule))) < D("0.01")


@settings(max_examples=60, deadline=None)
@given(
    months=st.integers(min_value=1, max_value=120),
    rate_bp=st.integers(min_value=0, max_value=3000),
    fee=st.integers(min_value=0, max_value=50_000),
    deposit=st.integers(min_value=0, max_value=100_000),
)
def test_the_yield_zeroes_the_npv(months: int, rate_bp: int, fee: int, deposit: int) -> None:
    schedule = build_schedule(
        terms(term_months=months, annual_rate=D(rate_bp) / 10000, fees=D(fee), deposit=D(deposit))
    )
    flows = lease_cash_flows(schedule)

    m = internal_rate_of_return(flows)

    assert abs(net_present_value(m, flows)) < D("1e-6")
    if fee == 0 and deposit == 0:
        assert abs(12 * m - D(rate_bp) / 10000) < D("0.0001")
