"""Servicing an active lease: payments, penalties, delinquency and usage invoices.

Stated rules (each applies to the lease's receivables: its installments and its balloon):

- **Allocation** — a payment goes to the *due* receivables (due date on or before the payment
  date), oldest first, and within each to penalty → interest → principal, before the next.
- **Overpayment** — what is left is held as **credit** on the lease, never lost and never
  applied to principal early by itself: on each later due date (and on any later payment) the
  credit is allocated by the same rule; it counts toward an early buyout or termination and is
  refunded at closing.
- **Penalty** (罚息) — after a grace period of ``grace_days`` past the due date, each receivable
  accrues ``daily_rate × (its unpaid principal + interest) × days``, counting only the days
  after the grace period; penalties do not compound. Penalties are charged at each accrual
  (the daily sweep and before every payment, so a partial payment lowers the base from that
  day), rounded half-up to the fen per receivable per accrual.
- **Delinquency** — days past due of the oldest receivable with unpaid principal or interest
  (a receivable due today is not past due), bucketed 0, 1–30, 31–60, 61–90, 90+.
- **Early buyout and termination** — see ``settlement.py``.
- **Service lease** — a month's invoice is ``max(usage × unit price, monthly minimum)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import Schedule
from datapark_rental.terms.money import ZERO, require_currency, require_money


class Component(StrEnum):
    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class ReceivableKind(StrEnum):
    INSTALLMENT = "installment"
    BALLOON = "balloon"
    USAGE = "usage"  # a service lease's monthly invoice: all principal, no interest


class DelinquencyBucket(StrEnum):
    CURRENT = "0"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"


ALLOCATION_ORDER = (Component.PENALTY, Component.INTEREST, Component.PRINCIPAL)


@dataclass(frozen=True)
class Receivable:
    """What the lessee owes for one installment (or the balloon) and what was paid on it."""

    period: int
    due_date: date
    principal: Decimal
    interest: Decimal
    kind: ReceivableKind = ReceivableKind.INSTALLMENT
    penalty: Decimal = ZERO
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    penalty_through: date | None = None

    def due(self, component: Component) -> Decimal:
        if component is Component.PENALTY:
            return self.penalty
        return self.interest if component is Component.INTEREST else self.principal

    def paid(self, component: Component) -> Decimal:
        if component is Component.PENALTY:
            return self.penalty_paid
        return self.interest_paid if component is Component.INTEREST else self.principal_paid

    def with_payment(self, component: Component, amount: Decimal) -> Receivable:
        paid = self.paid(component) + amount
        if component is Component.PENALTY:
            return replace(self, penalty_paid=paid)
        if component is Component.INTEREST:
            return replace(self, interest_paid=paid)
        return replace(self, principal_paid=paid)

    def unpaid(self, component: Component) -> Decimal:
        return self.due(component) - self.paid(component)

    @property
    def overdue_base(self) -> Decimal:
        """Unpaid principal and interest: what penalties and delinquency look at."""
        return self.unpaid(Component.PRINCIPAL) + self.unpaid(Component.INTEREST)

    @property
    def outstanding(self) -> Decimal:
        return self.overdue_base + self.unpaid(Component.PENALTY)


@dataclass(frozen=True)
class PenaltyPolicy:
    """Penalty after a grace period; the default is 万分之五 a day after 3 days."""

    daily_rate: Decimal = Decimal("0.0005")
    grace_days: int = 3

    def __post_init__(self) -> None:
        if not self.daily_rate.is_finite() or not 0 <= self.daily_rate < 1:
            raise Unprocessable("daily_rate must be at least 0 and below 1", field="daily_rate")
        if self.grace_days < 0:
            raise Unprocessable("grace_days must be 0 or more", field="grace_days")


@dataclass(frozen=True)
class AllocationLine:
    period: int
    kind: ReceivableKind
    component: Component
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """Receivables after a payment, where the money went, and the credit left over."""

    receivables: tuple[Receivable, ...]
    lines: tuple[AllocationLine, ...]
    credit: Decimal

    @property
    def applied(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def receivables_from_schedule(schedule: Schedule) -> tuple[Receivable, ...]:
    """One receivable per installment, plus the balloon due with the last installment."""
    items = [
        Receivable(i.period, i.due_date, i.principal, i.interest) for i in schedule.installments
    ]
    if schedule.balloon > 0:
        last = schedule.installments[-1]
        items.append(
            Receivable(last.period, last.due_date, schedule.balloon, ZERO, ReceivableKind.BALLOON)
        )
    return tuple(items)


def accrue_penalties(
    receivables: Sequence[Receivable], as_of: date, policy: PenaltyPolicy
) -> tuple[Receivable, ...]:
    """Charge penalties for the days after grace up to and including ``as_of``."""
    result = []
    for item in receivables:
        grace_end = item.due_date + timedelta(days=policy.grace_days)
        counted_from = max(item.penalty_through or grace_end, grace_end)
        days = (as_of - counted_from).days
        if days > 0 and item.overdue_base > 0:
            charge = to_fen(item.overdue_base * policy.daily_rate * days)
            item = replace(item, penalty=item.penalty + charge, penalty_through=as_of)
        result.append(item)
    return tuple(result)


def apply_payment(
    receivables: Sequence[Receivable],
    amount: Decimal,
    currency: str,
    on: date,
    policy: PenaltyPolicy,
    credit: Decimal = ZERO,
) -> Allocation:
    """Accrue penalties to ``on``, then allocate ``credit + amount``; the rest is credit."""
    require_currency(currency)
    amount = require_money(amount, "amount", positive=True)
    return allocate(accrue_penalties(receivables, on, policy), credit + amount, on)


def apply_credit(
    receivables: Sequence[Receivable], credit: Decimal, on: date, policy: PenaltyPolicy
) -> Allocation:
    """The due-date sweep: allocate held credit to what has fallen due by ``on``."""
    return allocate(accrue_penalties(receivables, on, policy), credit, on)


def allocate(receivables: Sequence[Receivable], pool: Decimal, on: date) -> Allocation:
    """Spread ``pool`` over due receivables, oldest first, penalty → interest → principal."""
    updated = list(receivables)
    lines: list[AllocationLine] = []
    order = sorted(
        (i for i, r in enumerate(updated) if r.due_date <= on),
        key=lambda i: (updated[i].due_date, updated[i].period, updated[i].kind),
    )
    for index in order:
        item = updated[index]
        for component in ALLOCATION_ORDER:
            take = min(pool, item.unpaid(component))
            if take <= 0:
                continue
            pool -= take
            item = item.with_payment(component, take)
            lines.append(AllocationLine(item.period, item.kind, component, take))
        updated[index] = item
    return Allocation(tuple(updated), tuple(lines), pool)


def days_past_due(receivables: Iterable[Receivable], as_of: date) -> int:
    overdue = [r.due_date for r in receivables if r.due_date < as_of and r.overdue_base > 0]
    return (as_of - min(overdue)).days if overdue else 0


def delinquency_bucket(days: int) -> DelinquencyBucket:
    if days <= 0:
        return DelinquencyBucket.CURRENT
    if days <= 30:
        return DelinquencyBucket.DAYS_1_30
    if days <= 60:
        return DelinquencyBucket.DAYS_31_60
    if days <= 90:
        return DelinquencyBucket.DAYS_61_90
    return DelinquencyBucket.OVER_90


@dataclass(frozen=True)
class UsageInvoice:
    """A service lease's month: usage priced, topped up to the minimum."""

    usage: Decimal
    unit_price: Decimal
    usage_amount: Decimal
    monthly_minimum: Decimal
    amount: Decimal

    @property
    def minimum_top_up(self) -> Decimal:
        return self.amount - self.usage_amount


def usage_invoice(usage: Decimal, unit_price: Decimal, monthly_minimum: Decimal) -> UsageInvoice:
    """``max(usage × unit_price, monthly_minimum)``, the product rounded half-up to the fen."""
    if not usage.is_finite() or usage < 0:
        raise Unprocessable("usage must be 0 or more", field="usage")
    unit_price = require_money(unit_price, "unit_price")
    monthly_minimum = require_money(monthly_minimum, "monthly_minimum")
    usage_amount = to_fen(usage * unit_price)
    return UsageInvoice(
        usage, unit_price, usage_amount, monthly_minimum, max(usage_amount, monthly_minimum)
    )
