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
from decimal import Decimal, localcontext
from enum import StrEnum

from datapark_kit.errors import Unprocessable
from datapark_rental.money import ZERO, require_money, to_fen

RATE_PRECISION = 40
MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE = Decimal("1")
PROFILE_MONTHS = 12


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


def build_schedule(terms: LeaseTerms) -> Schedule:
    """The repayment schedule of ``terms`` under Fineract's rounding."""
    n, r = terms.term_months, terms.periodic_rate
    dates = [due_date(terms.start_date, k) for k in range(1, n + 1)]
    if terms.amortization is Amortization.ANNUITY:
        payments: Sequence[Decimal] | None = [annuity_payment(terms)] * n
    elif terms.amortization is Amortization.SEASONAL:
        payments = seasonal_payments(terms, dates)
    else:
        payments = None
    principal_step = to_fen((terms.financed_principal - terms.balloon) / n)

    rows: list[Installment] = []
    balance = terms.financed_principal
    for k, due in enumerate(dates, start=1):
        interest = to_fen(balance * r)
        if k == n:
            principal = balance - terms.balloon
        elif payments is None:
            principal = principal_step
        else:
            principal = payments[k - 1] - interest
        balance -= principal
        rows.append(Installment(k, due, principal + interest, interest, principal, balance))
    return Schedule(terms, tuple(rows))


def annuity_payment(terms: LeaseTerms) -> Decimal:
    """The level installment ``A`` with balloon ``F``, rounded to the fen."""
    p, f, n, r = terms.financed_principal, terms.balloon, terms.term_months, terms.periodic_rate
    if r == 0:
        return to_fen((p - f) / n)
    with localcontext(prec=RATE_PRECISION):
        growth = (1 + r) ** n
        exact = (p * growth - f) * r / (growth - 1)
    return to_fen(exact)


def seasonal_payments(terms: LeaseTerms, dates: Sequence[date]) -> list[Decimal]:
    """Installments ``round(c·w_k)`` with ``w_k`` the profile amount of the due month."""
    assert terms.cash_flow_profile is not None
    weights = [terms.cash_flow_profile[d.month - 1] for d in dates]
    r, n = terms.periodic_rate, len(dates)
    with localcontext(prec=RATE_PRECISION):
        v = 1 / (1 + r)
        target = terms.financed_principal - terms.balloon * v**n
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
