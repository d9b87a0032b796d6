"""Schedules: the vectors of domain/leasing.md to the fen, plus our own for the variants."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import (
    Amortization,
    LeaseTerms,
    build_schedule,
    due_date,
    present_value,
)

D = Decimal
# Amounts by calendar month, January first (thousands of CNY).
PROFILE = tuple(D(x) * 1000 for x in (50, 40, 60, 80, 100, 120, 150, 150, 120, 100, 80, 60))


def vector_1(**overrides: object) -> LeaseTerms:
    base: dict[str, object] = {
        "equipment_cost": D("1000000"),
        "down_payment_rate": D("0.10"),
        "term_months": 36,
        "annual_rate": D("0.06"),
        "start_date": date(2024, 1, 15),
    }
    base.update(overrides)
    return LeaseTerms(**base)  # type: ignore[arg-type]


def test_vector_0_fineract_documentation() -> None:
    schedule = build_schedule(
        LeaseTerms(D("100"), D("0.25"), 6, D("0.07"), start_date=date(2024, 1, 31))
    )

    assert schedule.down_payment == D("25.00")
    assert schedule.financed_principal == D("75.00")
    assert [i.payment for i in schedule.installments] == [D("12.76")] * 5 + [D("12.74")]
    assert schedule.installments[-1].balance == D("0.00")


def test_vector_1_one_million_yuan_over_36_months() -> None:
    schedule = build_schedule(vector_1())
    rows = schedule.installments

    assert schedule.down_payment == D("100000.00")
    assert schedule.financed_principal == D("900000.00")
    assert [r.payment for r in rows[:35]] == [D("27379.74")] * 35
    assert (rows[0].interest, rows[0].principal, rows[0].balance) == (
        D("4500.00"),
        D("22879.74"),
        D("877120.26"),
    )
    assert rows[1].interest == D("4385.60")
    assert rows[11].balance == D("617765.55")
    assert (rows[35].payment, rows[35].interest, rows[35].balance) == (
        D("27379.90"),
        D("136.22"),
        D("0.00"),
    )
    assert schedule.total_interest == D("85670.80")
    assert schedule.total_principal == D("900000.00")
    assert schedule.total_installments == D("985670.80")
    assert schedule.total_payable == D("1085670.80")


def test_equal_principal_vector_has_a_closed_form() -> None:
    """P/n = 25,000 a month; interest 0.5 % of a balance falling by 25,000: 4,500 − 125(k−1)."""
    schedule = build_schedule(vector_1(amortization=Amortization.EQUAL_PRINCIPAL))

    for k, row in enumerate(schedule.installments, start=1):
        assert row.principal == D("25000.00")
        assert row.interest == D(4500 - 125 * (k - 1)).quantize(D("0.01"))
    assert schedule.installments[0].payment == D("29500.00")
    assert schedule.installments[-1].payment == D("25125.00")
    assert schedule.total_interest == D("83250.00")
    assert abs(present_value(schedule) - D("900000")) < D("1e-20")


def test_annuity_with_balloon_vector() -> None:
    schedule = build_schedule(vector_1(balloon=D("200000")))
    rows = schedule.installments
    growth = Fraction(201, 200) ** 36
    exact = (900000 * growth - 200000) * Fraction(1, 200) / (growth - 1)

    assert rows[0].payment == D("22295.36")
    assert abs(Fraction(rows[0].payment) - exact) <= Fraction(1, 200)
    assert (rows[0].interest, rows[0].principal) == (D("4500.00"), D("17795.36"))
    assert rows[1].interest == D("4411.02")
    assert rows[11].balance == D("680484.20")
    assert (rows[35].payment, rows[35].interest, rows[35].balance) == (
        D("22295.21"),
        D("1105.95"),
        D("200000.00"),
    )
    assert schedule.balloon == D("200000.00")
    assert schedule.total_interest == D("102632.81")
    assert schedule.total_principal == D("700000.00")
    assert abs(present_value(schedule) - D("900000")) < D("0.01")


def test_seasonal_vector_follows_the_profile_with_the_same_present_value() -> None:
    terms = LeaseTerms(
        D("100000"),
        D("0.10"),
        12,
        D("0.06"),
        date(2024, 1, 15),
        amortization=Amortization.SEASONAL,
        cash_flow_profile=PROFILE,
    )
    schedule = build_schedule(terms)

    assert [(r.due_date.month, r.payment) for r in schedule.installments] == [
        (2, D("3350.60")),
        (3, D("5025.90")),
        (4, D("6701.20")),
        (5, D("8376.50")),
        (6, D("10051.80")),
        (7, D("12564.75")),
        (8, D("12564.75")),
        (9, D("10051.80")),
        (10, D("8376.50")),
        (11, D("6701.20")),
        (12, D("5025.90")),
        (1, D("4188.25")),
    ]
    assert [r.interest for r in schedule.installments[:3]] == [
        D("450.00"),
        D("435.50"),
        D("412.55"),
    ]
    assert schedule.installments[-1].balance == D("0.00")
    assert schedule.total_interest == D("2979.15")
    assert abs(present_value(schedule) - D("90000")) < D("0.01")


def test_seasonal_installments_are_the_profile_scaled_to_the_present_value() -> None:
    schedule = build_schedule(
        vector_1(amortization=Amortization.SEASONAL, cash_flow_profile=PROFILE)
    )
    r = schedule.terms.periodic_rate
    rows = schedule.installments[:-1]
    scale = rows[0].payment / PROFILE[rows[0].due_date.month - 1]

    for row in rows:
        weight = PROFILE[row.due_date.month - 1]
        assert abs(row.payment - scale * weight) <= D("0.005") * (1 + weight / PROFILE[1])
    # Before rounding, the scaled stream discounts to the financed principal exactly.
    exact_scale = D(900000) / sum(
        PROFILE[row.due_date.month - 1] / (1 + r) ** row.period for row in schedule.installments
    )
    assert abs(exact_scale - scale) < D("0.0000005")


def test_present_value_departs_from_principal_only_by_interest_rounding() -> None:
    """Fineract rounds each period's interest: the PV at r moves by the discounted errors.

    leasing.md's own vector 1 is 1.19 fen off; the bound is half a fen per period.
    """
    schedule = build_schedule(vector_1())
    r = schedule.terms.periodic_rate
    balance, drift = schedule.financed_principal, D(0)
    for row in schedule.installments:
        drift += (row.interest - balance * r) / (1 + r) ** row.period
        balance = row.balance

    deviation = present_value(schedule) - D("900000")
    assert abs(deviation - drift) < D("1e-20")
    assert deviation.quantize(D("0.0001")) == D("0.0119")


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 1, 15), 36, date(2027, 1, 15)),
    ],
)
def test_due_dates_count_whole_months_from_the_start(
    start: date, months: int, expected: date
) -> None:
    assert due_date(start, months) == expected


def test_a_zero_rate_spreads_the_principal_evenly() -> None:
    schedule = build_schedule(LeaseTerms(D("1000"), D("0"), 3, D("0"), date(2024, 1, 1)))

    assert [r.payment for r in schedule.installments] == [D("333.33"), D("333.33"), D("333.34")]
    assert schedule.total_interest == D("0.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"term_months": 0}, "term_months"),
        ({"annual_rate": D("-0.01")}, "annual_rate"),
        ({"down_payment_rate": D("1")}, "down_payment_rate"),
        ({"down_payment_rate": D("-0.1")}, "down_payment_rate"),
        ({"equipment_cost": D("0")}, "equipment_cost"),
        ({"equipment_cost": D("100.001")}, "equipment_cost"),
        ({"balloon": D("900000")}, "balloon"),
        ({"amortization": Amortization.SEASONAL}, "cash_flow_profile"),
        ({"cash_flow_profile": PROFILE[:11]}, "cash_flow_profile"),
        ({"cash_flow_profile": (D(0), *PROFILE[1:])}, "cash_flow_profile"),
        ({"fees": D("-1")}, "fees"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        vector_1(**overrides)

    assert caught.value.status == 422
    assert caught.value.extra["errors"][0]["field"] == field


@settings(max_examples=150, deadline=None)
@given(
    cost=st.integers(min_value=1_000, max_value=50_000_000),
    down=st.integers(min_value=0, max_value=60),
    months=st.integers(min_value=1, max_value=120),
    rate_bp=st.integers(min_value=0, max_value=2400),
    balloon_pct=st.integers(min_value=0, max_value=40),
    amortization=st.sampled_from(list(Amortization)),
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
)
def test_every_schedule_follows_the_rounding_rules(
    cost: int,
    down: int,
    months: int,
    rate_bp: int,
    balloon_pct: int,
    amortization: Amortization,
    start: date,
) -> None:
    terms = LeaseTerms(
        D(cost),
        D(down) / 100,
        months,
        D(rate_bp) / 10000,
        start,
        amortization=amortization,
        balloon=(D(cost) * balloon_pct / 100 * (100 - down) / 100).quantize(D("0.01"))
        if balloon_pct and months > 1
        else D(0),
        cash_flow_profile=PROFILE,
    )
    schedule = build_schedule(terms)
    r = terms.periodic_rate

    balance = terms.financed_principal
    for row in schedule.installments:
        assert row.interest == (balance * r).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert row.payment == row.interest + row.principal
        assert row.balance == balance - row.principal
        balance = row.balance
    assert balance == terms.balloon
    assert schedule.total_principal + schedule.balloon == terms.financed_principal
    if amortization is Amortization.ANNUITY:
        assert len({row.payment for row in schedule.installments[:-1]}) <= 1
    bound = D("0.005") * sum(1 / (1 + r) ** k for k in range(1, months + 1)) + D("1e-20")
    assert abs(present_value(schedule) - terms.financed_principal) <= bound
