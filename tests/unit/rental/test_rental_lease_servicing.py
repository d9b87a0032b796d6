"""Payments, penalties, delinquency and usage invoices on leasing.md's vector 1.

Vector 1 installments: period 1 due 2024-02-15 = 27,379.74 (interest 4,500.00, principal
22,879.74); period 2 due 2024-03-15 = 27,379.74 (interest 4,385.60, principal 22,994.14).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import LeaseTerms, build_schedule
from datapark_rental.leases.servicing import (
    AllocationLine,
    Component,
    DelinquencyBucket,
    PenaltyPolicy,
    Receivable,
    ReceivableKind,
    accrue_penalties,
    apply_credit,
    apply_payment,
    days_past_due,
    delinquency_bucket,
    receivables_from_schedule,
    usage_invoice,
)

D = Decimal
POLICY = PenaltyPolicy(daily_rate=D("0.0005"), grace_days=3)
INSTALLMENT = ReceivableKind.INSTALLMENT


def receivables(balloon: str = "0") -> tuple[Receivable, ...]:
    terms = LeaseTerms(
        D("1000000"), D("0.10"), 36, D("0.06"), date(2024, 1, 15), balloon=D(balloon)
    )
    return receivables_from_schedule(build_schedule(terms))


def test_a_balloon_is_its_own_receivable_due_with_the_last_installment() -> None:
    items = receivables(balloon="200000")

    assert len(items) == 37
    assert (items[-1].kind, items[-1].due_date, items[-1].principal) == (
        ReceivableKind.BALLOON,
        date(2027, 1, 15),
        D("200000.00"),
    )


def test_on_time_payment_goes_to_interest_then_principal() -> None:
    result = apply_payment(receivables(), D("27379.74"), "CNY", date(2024, 2, 15), POLICY)

    assert result.lines == (
        AllocationLine(1, INSTALLMENT, Component.INTEREST, D("4500.00")),
        AllocationLine(1, INSTALLMENT, Component.PRINCIPAL, D("22879.74")),
    )
    assert result.receivables[0].outstanding == D("0.00")
    assert result.credit == D("0.00")


def test_no_penalty_within_the_grace_period() -> None:
    charged = accrue_penalties(receivables(), date(2024, 2, 18), POLICY)

    assert charged[0].penalty == D("0")


def test_a_late_partial_payment_pays_penalty_then_interest_then_principal() -> None:
    # 2024-02-25 is 7 days after grace: 27,379.74 × 0.0005 × 7 = 95.829… → 95.83.
    result = apply_payment(receivables(), D("10000"), "CNY", date(2024, 2, 25), POLICY)

    assert result.lines == (
        AllocationLine(1, INSTALLMENT, Component.PENALTY, D("95.83")),
        AllocationLine(1, INSTALLMENT, Component.INTEREST, D("4500.00")),
        AllocationLine(1, INSTALLMENT, Component.PRINCIPAL, D("5404.17")),
    )
    first = result.receivables[0]
    assert first.overdue_base == D("17475.57")

    # The penalty base drops with the payment: 5 more days on 17,475.57 = 43.688… → 43.69.
    later = accrue_penalties(result.receivables, date(2024, 3, 1), POLICY)
    assert later[0].penalty == D("95.83") + D("43.69")


def test_the_oldest_due_installment_is_settled_first() -> None:
    on = date(2024, 3, 15)  # periods 1 and 2 due; period 1 is 29 days late
    result = apply_payment(receivables(), D("30000"), "CNY", on, POLICY)

    periods = [(line.period, line.component) for line in result.lines]
    assert periods == [
        (1, Component.PENALTY),
        (1, Component.INTEREST),
        (1, Component.PRINCIPAL),
        (2, Component.INTEREST),
    ]
    # 26 days after grace (18 Feb → 15 Mar 2024): 27,379.74 × 0.0005 × 26 = 355.9366…
    assert result.lines[0].amount == D("355.94")
    assert result.receivables[1].unpaid(Component.INTEREST) == (
        D("4385.60") - (D("30000") - D("27379.74") - result.lines[0].amount)
    )


def test_an_overpayment_is_held_as_credit_and_applied_when_the_next_installment_falls_due() -> None:
    paid = apply_payment(receivables(), D("30000"), "CNY", date(2024, 2, 15), POLICY)

    assert paid.credit == D("2620.26")
    assert paid.receivables[1] == receivables()[1]  # period 2 is not touched early

    swept = apply_credit(paid.receivables, paid.credit, date(2024, 3, 15), POLICY)

    assert swept.lines == (AllocationLine(2, INSTALLMENT, Component.INTEREST, D("2620.26")),)
    assert swept.credit == D("0.00")
    assert swept.receivables[1].unpaid(Component.INTEREST) == D("1765.34")


def test_credit_joins_the_next_payment() -> None:
    result = apply_payment(
        receivables(), D("27000.00"), "CNY", date(2024, 2, 15), POLICY, credit=D("379.74")
    )

    assert result.receivables[0].outstanding == D("0.00")
    assert result.credit == D("0.00")


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (D("-1"), "CNY", "amount"),
        (D("0"), "CNY", "amount"),
        (D("1.001"), "CNY", "amount"),
        (D("100"), "USD", "currency"),
    ],
)
def test_bad_payments_are_refused(amount: Decimal, currency: str, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        apply_payment(receivables(), amount, currency, date(2024, 2, 15), POLICY)

    assert caught.value.extra["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("as_of", "days", "bucket"),
    [
        (date(2024, 2, 15), 0, DelinquencyBucket.CURRENT),
        (date(2024, 2, 16), 1, DelinquencyBucket.DAYS_1_30),
        (date(2024, 3, 16), 30, DelinquencyBucket.DAYS_1_30),
        (date(2024, 3, 17), 31, DelinquencyBucket.DAYS_31_60),
        (date(2024, 4, 15), 60, DelinquencyBucket.DAYS_31_60),
        (date(2024, 4, 16), 61, DelinquencyBucket.DAYS_61_90),
        (date(2024, 5, 15), 90, DelinquencyBucket.DAYS_61_90),
        (date(2024, 5, 16), 91, DelinquencyBucket.OVER_90),
    ],
)
def test_delinquency_buckets_by_days_past_due(
    as_of: date, days: int, bucket: DelinquencyBucket
) -> None:
    assert days_past_due(receivables(), as_of) == days
    assert delinquency_bucket(days) is bucket


def test_days_past_due_follow_the_oldest_unpaid_installment() -> None:
    paid = apply_payment(receivables(), D("27379.74"), "CNY", date(2024, 2, 15), POLICY)

    assert days_past_due(paid.receivables, date(2024, 3, 20)) == 5  # period 2 due 15 Mar


def test_an_unpaid_penalty_alone_is_not_delinquency() -> None:
    late = apply_payment(receivables(), D("27379.74"), "CNY", date(2024, 2, 25), POLICY)

    assert late.receivables[0].unpaid(Component.PENALTY) == D("0.00")
    assert late.receivables[0].unpaid(Component.PRINCIPAL) == D("95.83")
    assert days_past_due(late.receivables, date(2024, 2, 26)) == 11


@pytest.mark.parametrize(
    ("usage", "amount", "top_up"),
    [
        (D("12"), D("60000.00"), D("0.00")),  # 12 procedures × 5,000 above the minimum
        (D("5"), D("40000.00"), D("15000.00")),  # 25,000 topped up to the minimum
        (D("0"), D("40000.00"), D("40000.00")),
        (D("8.5"), D("42500.00"), D("0.00")),  # hours may be fractional
    ],
)
def test_a_service_lease_month_is_the_larger_of_usage_and_minimum(
    usage: Decimal, amount: Decimal, top_up: Decimal
) -> None:
    invoice = usage_invoice(usage, D("5000"), D("40000"))

    assert invoice.amount == amount
    assert invoice.minimum_top_up == top_up


def test_negative_usage_is_refused() -> None:
    with pytest.raises(Unprocessable):
        usage_invoice(D("-1"), D("5000"), D("40000"))
