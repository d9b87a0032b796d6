"""Early buyout and accelerated termination on leasing.md's vector 1 (start 2024-01-15).

Period 2: 15 Feb → 15 Mar 2024 (29 days), interest 4,385.60. Period 3: 15 Mar → 15 Apr
(31 days), interest round(854,126.12 × 0.005) = 4,270.63.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import LeaseTerms, build_schedule
from datapark_rental.leases.servicing import (
    Component,
    PenaltyPolicy,
    Receivable,
    apply_payment,
    days_past_due,
    receivables_from_schedule,
)
from datapark_rental.leases.settlement import (
    early_buyout_quote,
    settle,
    termination_statement,
)

D = Decimal
START = date(2024, 1, 15)
POLICY = PenaltyPolicy(daily_rate=D("0.0005"), grace_days=3)


def first_installment_paid(balloon: str = "0") -> tuple[Receivable, ...]:
    terms = LeaseTerms(D("1000000"), D("0.10"), 36, D("0.06"), START, balloon=D(balloon))
    schedule = build_schedule(terms)
    paid = apply_payment(
        receivables_from_schedule(schedule), D("27379.74"), "CNY", date(2024, 2, 15), POLICY
    )
    return paid.receivables


def test_early_buyout_quote_is_itemised() -> None:
    quote = early_buyout_quote(
        first_installment_paid(),
        date(2024, 3, 1),
        START,
        POLICY,
        deposit=D("50000"),
        credit=D("0"),
        termination_fee_rate=D("0.02"),
        buyout_price=D("1000"),
    )

    assert quote.outstanding_principal == D("877120.26")
    assert quote.interest_due == D("0.00")
    assert quote.accrued_interest == D("2268.41")  # 4,385.60 × 15 / 29
    assert quote.penalties == D("0.00")
    assert quote.termination_fee == D("17542.41")  # 2 % of 877,120.26
    assert quote.total == D("847931.08")


def test_an_early_buyout_with_a_balloon_includes_the_balloon() -> None:
    quote = early_buyout_quote(
        first_installment_paid(balloon="200000"),
        date(2024, 2, 15),
        START,
        POLICY,
        deposit=D("0"),
        credit=D("0"),
        termination_fee_rate=D("0"),
        buyout_price=D("0"),
    )

    assert quote.outstanding_principal == D("882204.64")  # balance after period 1
    assert quote.accrued_interest == D("0.00")
    assert quote.total == D("882204.64")


def test_executing_a_buyout_settles_every_receivable_and_refunds_the_excess() -> None:
    quote = early_buyout_quote(
        first_installment_paid(),
        date(2024, 3, 1),
        START,
        POLICY,
        deposit=D("50000"),
        credit=D("120.00"),
        termination_fee_rate=D("0.02"),
        buyout_price=D("1000"),
    )

    done = settle(quote, quote.total + D("10.00"), "CNY")

    assert quote.total == D("847811.08")
    assert all(r.outstanding == 0 for r in done.receivables)
    assert done.refund == D("10.00")
    # Interest after the buyout date is cancelled: only the accrued part was ever due.
    assert sum(r.interest for r in done.receivables) == D("4500.00") + D("2268.41")


def test_a_buyout_cannot_be_paid_short() -> None:
    quote = early_buyout_quote(
        first_installment_paid(),
        date(2024, 3, 1),
        START,
        POLICY,
        deposit=D("0"),
        credit=D("0"),
        termination_fee_rate=D("0"),
        buyout_price=D("0"),
    )

    with pytest.raises(Unprocessable) as caught:
        settle(quote, quote.total - D("0.01"), "CNY")

    assert caught.value.extra["errors"][0]["field"] == "amount"


def test_termination_accelerates_the_outstanding_balance() -> None:
    on = date(2024, 4, 1)  # period 2 (15 Mar) unpaid, 14 days after grace
    statement = termination_statement(
        first_installment_paid(), on, START, POLICY, deposit=D("50000"), credit=D("0")
    )

    assert statement.outstanding_principal == D("877120.26")
    assert statement.interest_due == D("4385.60")
    assert statement.accrued_interest == D("2341.96")  # 4,270.63 × 17 / 31
    assert statement.penalties == D("191.66")  # 27,379.74 × 0.0005 × 14
    assert statement.total == D("834039.48")
    assert all(r.due_date <= on for r in statement.receivables)
    assert days_past_due(statement.receivables, date(2024, 4, 2)) == 18


def test_interest_paid_ahead_is_not_cancelled() -> None:
    items = list(first_installment_paid())
    items[1] = items[1].with_payment(Component.INTEREST, D("4385.60"))

    quote = termination_statement(
        items, date(2024, 3, 1), START, POLICY, deposit=D("0"), credit=D("0")
    )

    assert quote.receivables[1].interest == D("4385.60")
    assert quote.accrued_interest == D("0.00")


def test_a_deposit_larger_than_the_payoff_is_owed_back() -> None:
    items = list(first_installment_paid())
    items = [r.with_payment(Component.PRINCIPAL, r.unpaid(Component.PRINCIPAL)) for r in items]
    items = [r.with_payment(Component.INTEREST, r.unpaid(Component.INTEREST)) for r in items]

    quote = termination_statement(
        items, date(2024, 3, 1), START, POLICY, deposit=D("50000"), credit=D("0")
    )
    done = settle(quote, D("0"), "CNY")

    assert quote.total == D("-50000")
    assert done.refund == D("50000")
