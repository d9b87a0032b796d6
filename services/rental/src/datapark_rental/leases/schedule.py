"""Lease repayment schedules with Apache Fineract's rounding (see ``domain/leasing.md``).

- Down payment ``D = round(cost × pct)`` is due on day 0; financed principal ``P = cost − D``.
- Periodic rate ``r = annual / 12``, kept unrounded (40 significant digits).
- Each period: interest ``I_k = round(B_{k−1}·r)`` half-up to the fen, principal = payment −
  interest, ``B_k = B_{k−1} − principal``. The last period takes the remaining balance less the
  balloon: ``payment_n = B_{n−1} − F + I_n``, so the balance after it is exactly ``F``.
- ``annuity``: ``A = (P(1+r)^n − F)·r / ((1+r)^n − 1)`` rounded to the fen (``(P − F)/n`` at
  r = 0).
- ``equal_principal``: principal ``round((P − F)/n)`` each period, interest on the balance.
- ``seasonal``: installments proportional to the customer's monthly cash-flow profile
  (indexed by the *calendar month* of the due date, January first), scaled by the factor ``c``
  for which ``Σ c·w_k·(1+r)^−k + F(1+r)^−n = P`` exactly; ``c·w_k`` is rounded to the fen and
  the Fineract rules above apply. A month whose installment is below its interest capitalises
  the difference (its principal is negative).

The balloon ``F`` is a separate payment due with the last installment; the buyout price
(留购价) and deposit are carried on the terms for the yield (``yields.py``), not amortised.

Fees are charged once, upfront (with the down payment and deposit, before activation); they
pay for the financing over the whole term, so each installment bears an even share of them as
financing cost (:func:`fee_shares`: ``fees / n`` rounded down to the fen, the last installment
taking the remainder) — what a subsidy measuring financing cost per installment reads beside
its interest. The share is never part of the installment's payment: it was paid upfront.

Present value: the Fineract rules amortise ``P`` to ``F`` with *rounded* interest, so the
present value of the rounded payments at ``r`` differs from ``P`` by the discounted sum of the
interest rounding errors, at most half a fen per period (leasing.md's vector 1 is 1.19 fen
off). :func:`present_value` lets callers measure it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_rental.terms.money import ZERO, require_money

RATE_PRECISION = 40
MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE = Decimal("1")
PROFILE_MONTHS = 12
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
"""Every date of a lease lies in these bounds (a year-9999 date would overflow the schedule)."""


class Amortization(StrEnum):
    """How principal is spread over the term."""

    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal_principal"
    SEASONAL = "seasonal"


@dataclass(frozen=True)
class LeaseTerms:
    """The financial terms of a lease offer; validated on construction (422 naming the field).

    Rates are fractions (``0.06`` is 6 %). ``fees`` and ``deposit`` are paid on day 0 with the
    down payment; the deposit is offset at the end of the term; ``buyout_price`` (留购价) is
    paid with the last installment.
    """

    equipment_cost: Decimal
    down_payment_rate: Decimal
    term_months: int
    annual_rate: Decimal
    start_date: date
    amortization: Amortization = Amortization.ANNUITY
    balloon: Decimal = ZERO
    cash_flow_profile: tuple[Decimal, ...] | None = None
    fees: Decimal = ZERO
    deposit: Decimal = ZERO
    buyout_price: Decimal = ZERO

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(
            self,
            "equipment_cost",
            require_money(self.equipment_cost, "equipment_cost", positive=True),
        )
        for name in ("balloon", "fees", "deposit", "buyout_price"):
            set_(self, name, require_money(getattr(self, name), name))
        if not self.down_payment_rate.is_finite() or not 0 <= self.down_payment_rate < 1:
            raise Unprocessable(
                "down_payment_rate must be at least 0 and below 1", field="down_payment_rate"
            )
        if not 1 <= self.term_months <= MAX_TERM_MONTHS:
            raise Unprocessable(
                f"term_months must be between 1 and {MAX_TERM_MONTHS}", field="term_months"
            )
        if not self.annual_rate.is_finite() or not 0 <= self.annual_rate <= MAX_ANNUAL_RATE:
            raise Unprocessable(
                f"annual_rate must be between 0 and {MAX_ANNUAL_RATE}", field="annual_rate"
            )
        if not EARLIEST_DATE <= self.start_date <= LATEST_DATE:
            raise Unprocessable(
                f"start_date must be between {EARLIEST_DATE} and {LATEST_DATE}",
                field="start_date",
            )
        if self.balloon >= self.financed_principal:
            raise Unprocessable("balloon must be below the financed principal", field="balloon")
        self._check_profile()

    def _check_profile(self) -> None:
        profile = self.cash_flow_profile
        if self.amortization is Amortization.SEASONAL and profile is None:
            raise Unprocessable(
                "a seasonal schedule needs a cash_flow_profile", field="cash_flow_profile"
            )
        if profile is None:
            return
        if len(profile) != PROFILE_MONTHS:
            raise Unprocessable(
                "cash_flow_profile must hold 12 monthly amounts (January first)",
                field="cash_flow_profile",
            )
        if any(not amount.is_finite() or amount <= 0 for amount in profile):
            raise Unprocessable(
                "every cash_flow_profile amount must be greater than 0", field="cash_flow_profile"
            )

    @property
    def down_payment(self) -> Decimal:
        return to_fen(self.equipment_cost * self.down_payment_rate)

    @property
    def financed_principal(self) -> Decimal:
        return self.equipment_cost - self.down_payment

    @property
    def periodic_rate(self) -> Decimal:
        with localcontext(prec=RATE_PRECISION):
            return self.annual_rate / 12


@dataclass(frozen=True)
class Installment:
    """One row of the schedule; ``balance`` is the principal still owed after it."""

    period: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Schedule:
    """A full schedule with its totals."""

    terms: LeaseTerms
    installments: tuple[Installment, ...]
    down_payment: Decimal = field(init=False)
    financed_principal: Decimal = field(init=False)
    balloon: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "down_payment", self.terms.down_payment)
        object.__setattr__(self, "financed_principal", self.terms.financed_principal)
        object.__setattr__(self, "balloon", self.terms.balloon)

    @property
    def maturity_date(self) -> date:
        return self.installments[-1].due_date

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.installments), ZERO)

    @property
    def total_principal(self) -> Decimal:
        """Principal repaid by the installments (the balloon comes on top)."""
        return sum((i.principal for i in self.installments), ZERO)

    @property
    def total_installments(self) -> Decimal:
        return sum((i.payment for i in self.installments), ZERO)

    @property
    def total_payable(self) -> Decimal:
        """Everything the lessee pays, except the refundable deposit."""
        terms = self.terms
        return (
            self.down_payment
            + terms.fees
            + self.total_installments
            + self.balloon
            + terms.buyout_price
        )


def due_date(start: date, months: int) -> date:
    """``start`` plus whole months, the day clamped to the end of a shorter month.

    Always counted from ``start`` (31 Jan → 28/29 Feb → 31 Mar), never chained.
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def fee_shares(fees: Decimal, installments: int) -> list[Decimal]:
    """Upfront ``fees`` spread evenly over ``installments``: ``fees / n`` rounded down to the
    fen for each, the last taking the remainder (so the shares sum to ``fees`` exactly and none
    is negative)."""
    if installments <= 0:
        return []
    share = (fees / installments).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (installments - 1) + [fees - share * (installments - 1)]


def build_schedule(terms: LeaseTerms) -> Schedule:
    """The repayment schedule of ``terms`` under Fineract's rounding."""
    dates = [due_date(terms.start_date, k) for k in range(1, terms.term_months + 1)]
    rows = amortize(
        terms.financed_principal,
        terms.balloon,
        terms.periodic_rate,
        dates,
        terms.amortization,
        terms.cash_flow_profile,
    )
    return Schedule(terms, rows)


def amortize(
    principal: Decimal,
    balloon: Decimal,
    r: Decimal,
    dates: Sequence[date],
    amortization: Amortization,
    profile: tuple[Decimal, ...] | None,
    *,
    first_period: int = 1,
) -> tuple[Installment, ...]:
    """Amortise ``principal`` down to ``balloon`` over ``dates`` at periodic rate ``r``."""
    n = len(dates)
    if amortization is Amortization.ANNUITY:
        payments: Sequence[Decimal] | None = [level_payment(principal, balloon, n, r)] * n
    elif amortization is Amortization.SEASONAL:
        assert profile is not None
        payments = seasonal_amounts(principal, balloon, r, dates, profile)
    else:
        payments = None
    principal_step = to_fen((principal - balloon) / n)

    rows: list[Installment] = []
    balance = principal
    for k, due in enumerate(dates, start=1):
        interest = to_fen(balance * r)
        if k == n:
            part = balance - balloon
        elif payments is None:
            part = principal_step
        else:
            part = payments[k - 1] - interest
        balance -= part
        rows.append(
            Installment(first_period + k - 1, due, part + interest, interest, part, balance)
        )
    return tuple(rows)


def reprice(
    installments: Sequence[Installment],
    after_period: int,
    annual_rate: Decimal,
    *,
    financed_principal: Decimal,
    balloon: Decimal,
    amortization: Amortization,
    profile: tuple[Decimal, ...] | None = None,
) -> tuple[Installment, ...]:
    """The schedule with every period after ``after_period`` recomputed at ``annual_rate``
    from the balance then outstanding, keeping the term, the due dates and the balloon."""
    if not 0 <= after_period < len(installments):
        raise ValueError("after_period must leave at least one period to reprice")
    balance = installments[after_period - 1].balance if after_period else financed_principal
    with localcontext(prec=RATE_PRECISION):
        r = annual_rate / 12
    rest = amortize(
        balance,
        balloon,
        r,
        [i.due_date for i in installments[after_period:]],
        amortization,
        profile,
        first_period=after_period + 1,
    )
    return tuple(installments[:after_period]) + rest


def annuity_payment(terms: LeaseTerms) -> Decimal:
    """The level installment ``A`` with balloon ``F``, rounded to the fen."""
    return level_payment(
        terms.financed_principal, terms.balloon, terms.term_months, terms.periodic_rate
    )


def level_payment(p: Decimal, f: Decimal, n: int, r: Decimal) -> Decimal:
    """``A = (P(1+r)^n − F)·r / ((1+r)^n − 1)`` rounded to the fen (``(P − F)/n`` at r = 0)."""
    if r == 0:
        return to_fen((p - f) / n)
    with localcontext(prec=RATE_PRECISION):
        growth = (1 + r) ** n
        exact = (p * growth - f) * r / (growth - 1)
    return to_fen(exact)


def seasonal_payments(terms: LeaseTerms, dates: Sequence[date]) -> list[Decimal]:
    """Installments ``round(c·w_k)`` with ``w_k`` the profile amount of the due month."""
    assert terms.cash_flow_profile is not None
    return seasonal_amounts(
        terms.financed_principal,
        terms.balloon,
        terms.periodic_rate,
        dates,
        terms.cash_flow_profile,
    )


def seasonal_amounts(
    principal: Decimal,
    balloon: Decimal,
    r: Decimal,
    dates: Sequence[date],
    profile: tuple[Decimal, ...],
) -> list[Decimal]:
    weights = [profile[d.month - 1] for d in dates]
    n = len(dates)
    with localcontext(prec=RATE_PRECISION):
        v = 1 / (1 + r)
        target = principal - balloon * v**n
        weighted_pv = sum((w * v**k for k, w in enumerate(weights, start=1)), Decimal(0))
        scale = target / weighted_pv
        exact = [scale * w for w in weights]
    return [to_fen(x) for x in exact]


def present_value(schedule: Schedule) -> Decimal:
    """Installments and balloon discounted at the periodic rate (unrounded)."""
    r, n = schedule.terms.periodic_rate, schedule.terms.term_months
    with localcontext(prec=RATE_PRECISION):
        v = 1 / (1 + r)
        pv = sum((i.payment * v**i.period for i in schedule.installments), Decimal(0))
        return pv + schedule.balloon * v**n
