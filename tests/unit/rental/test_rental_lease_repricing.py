"""LPR-linked leases (#11): the rate is the 1-year LPR in force plus a spread, and each
anniversary recomputes the rest of the schedule from the outstanding balance, keeping the term.

The vector, worked by hand (a calculator for the powers), Fineract's rounding (leasing.md):

- 120,000.00 financed over 24 months from 2024-06-15; spread 0.55 %. The LPR in force on
  2024-06-15 is 3.45 % (from 2023-08-21): 4.00 %, r = 0.04 / 12 = 1/300.
- A = P·r / (1 − (1+r)^−24) = 5,210.99066… → 5,210.99. Period 1: interest 120,000 / 300 =
  400.00, principal 4,810.99, balance 115,189.01; … period 12 leaves 61,197.84.
- Anniversary 2025-06-15: the LPR in force is 3.00 % (from 2025-05-20): 3.55 %,
  r' = 0.0355 / 12. A' = 61,197.84·r' / (1 − (1+r')^−12) = 5,198.42 (rounded).
  Period 13: interest 61,197.84 × 0.0355 / 12 = 181.0436… → 181.04, principal 5,017.38,
  balance 56,180.46. Period 24 takes the rest: interest 15.33, principal 5,183.03, payment
  5,198.36, balance 0.00.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases import floating
from datapark_rental.leases.events import schedule_rows
from datapark_rental.leases.models import Lease, LeaseReceivable
from datapark_rental.leases.parameters import LPR_1Y, lpr
from datapark_rental.leases.schedule import Amortization, LeaseTerms, build_schedule, reprice

D = Decimal
START = date(2024, 6, 15)
SPREAD = D("0.0055")


def original():
    rate = lpr(START) + SPREAD
    return build_schedule(
        LeaseTerms(
            equipment_cost=D("120000"),
            down_payment_rate=D("0"),
            term_months=24,
            annual_rate=rate,
            start_date=START,
        )
    )


def test_the_lpr_in_force_on_a_day() -> None:
    assert lpr(date(2024, 6, 15)) == D("0.0345")
    assert lpr(date(2024, 7, 22)) == D("0.0335")  # in force from its own date
    assert lpr(date(2024, 10, 20)) == D("0.0335")
    assert lpr(date(2025, 6, 15)) == D("0.0300")
    with pytest.raises(Unprocessable) as caught:
        lpr(date(2023, 8, 20), field="start_date")
    assert caught.value.extra["errors"][0]["field"] == "start_date"
    assert LPR_1Y.first_day == date(2023, 8, 21)


def test_the_first_year_runs_at_the_lpr_plus_the_spread() -> None:
    schedule = original()
    first, twelfth = schedule.installments[0], schedule.installments[11]

    assert schedule.terms.annual_rate == D("0.0400")
    assert (first.payment, first.interest, first.principal) == (
        D("5210.99"),
        D("400.00"),
        D("4810.99"),
    )
    assert first.balance == D("115189.01")
    assert twelfth.balance == D("61197.84")


def test_the_anniversary_reprices_the_rest_from_the_outstanding_balance() -> None:
    before = original()
    rate = lpr(date(2025, 6, 15)) + SPREAD
    after = reprice(
        before.installments,
        12,
        rate,
        financed_principal=D("120000.00"),
        balloon=D("0.00"),
        amortization=Amortization.ANNUITY,
    )

    assert rate == D("0.0355")
    assert after[:12] == before.installments[:12]  # the past is not touched
    assert len(after) == 24  # the term is kept
    assert [i.due_date for i in after] == [i.due_date for i in before.installments]
    p13 = after[12]
    assert (p13.period, p13.payment, p13.interest, p13.principal, p13.balance) == (
        13,
        D("5198.42"),
        D("181.04"),
        D("5017.38"),
        D("56180.46"),
    )
    assert {i.payment for i in after[12:23]} == {D("5198.42")}
    last = after[23]
    assert (last.payment, last.interest, last.principal, last.balance) == (
        D("5198.36"),
        D("15.33"),
        D("5183.03"),
        D("0.00"),
    )


def _lease() -> Lease:
    schedule = original()
    now = datetime(2024, 6, 15, tzinfo=UTC)
    return Lease(
        id=uuid.uuid4(),
        start_date=START,
        term_months=24,
        annual_rate=D("0.0400"),
        lpr_spread=SPREAD,
        financed_principal=D("120000.00"),
        balloon=D("0.00"),
        amortization="annuity",
        cash_flow_profile=None,
        schedule=schedule_rows(schedule),
        next_repricing_on=floating.first_repricing(START, 24),
        updated_at=now,
    )


def test_a_lease_is_repriced_once_per_anniversary_and_its_receivables_follow() -> None:
    lease = _lease()
    rows = [
        LeaseReceivable(kind="installment", period=k, principal=D("1"), interest=D("1"))
        for k in (12, 13, 24)
    ]

    assert lease.next_repricing_on == date(2025, 6, 15)
    done = floating.reprice_once(lease, rows)

    assert (done.effective_from, done.from_period) == (date(2025, 6, 15), 13)
    assert (done.lpr, done.previous_annual_rate) == (D("0.0300"), D("0.0400"))
    assert done.outstanding_principal == D("61197.84")
    assert lease.annual_rate == D("0.0355")
    assert lease.schedule[12]["interest"] == "181.04"
    assert lease.next_repricing_on is None  # 24 months: no period after the 2nd anniversary
    assert (rows[0].principal, rows[0].interest) == (D("1"), D("1"))  # period 12 untouched
    assert (rows[1].principal, rows[1].interest) == (D("5017.38"), D("181.04"))
    assert (rows[2].principal, rows[2].interest) == (D("5183.03"), D("15.33"))


def test_a_term_of_a_year_or_less_is_never_repriced() -> None:
    assert floating.first_repricing(START, 12) is None
    assert floating.first_repricing(START, 13) == date(2025, 6, 15)
