"""Paying a lease off before its term: early buyout (提前留购) and accelerated termination.

- **Acceleration** (termination, and the basis of an early buyout) — on the date every unpaid
  receivable falls due; the current period's interest is cut to the interest accrued to the
  date (pro rata by actual days of the period); later interest is cancelled.
- **Early buyout** = outstanding principal + unpaid interest + accrued interest + penalties +
  termination fee (``rate × outstanding principal``) − deposit offset − credit + buyout price.
  A negative total is owed to the lessee.
- **Termination** = the accelerated receivables less the deposit (applied against the debt)
  and the credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_rental.leases.servicing import (
    Component,
    PenaltyPolicy,
    Receivable,
    ReceivableKind,
    accrue_penalties,
)
from datapark_rental.terms.money import ZERO, require_currency, require_money


def accelerate(
    receivables: Sequence[Receivable], on: date, start_date: date
) -> tuple[Receivable, ...]:
    """Everything unpaid falls due ``on``; interest stops at what accrued by ``on``.

    ``start_date`` is where period 1 accrues from (the schedule's start date).
    """
    installments = sorted(
        (r for r in receivables if r.kind is ReceivableKind.INSTALLMENT), key=lambda r: r.period
    )
    current = next((r for r in installments if r.due_date > on), None)
    period_start = start_date
    for item in installments:
        if item is current:
            break
        period_start = item.due_date
    result = []
    for item in receivables:
        if item.due_date > on:
            interest = item.interest_paid
            if item is current:
                elapsed = max((on - period_start).days, 0)
                length = (item.due_date - period_start).days
                interest = max(to_fen(item.interest * elapsed / length), item.interest_paid)
            item = replace(item, due_date=on, interest=interest)
        result.append(item)
    return tuple(result)


@dataclass(frozen=True)
class SettlementQuote:
    """An itemised payoff amount on a date (early buyout or termination)."""

    on: date
    outstanding_principal: Decimal
    interest_due: Decimal
    accrued_interest: Decimal
    penalties: Decimal
    termination_fee: Decimal
    deposit_offset: Decimal
    credit: Decimal
    buyout_price: Decimal
    receivables: tuple[Receivable, ...]

    @property
    def total(self) -> Decimal:
        """What the lessee pays on ``on``; negative when the lessor owes the difference."""
        return (
            self.outstanding_principal
            + self.interest_due
            + self.accrued_interest
            + self.penalties
            + self.termination_fee
            + self.buyout_price
            - self.deposit_offset
            - self.credit
        )


def settlement_quote(
    receivables: Sequence[Receivable],
    on: date,
    start_date: date,
    policy: PenaltyPolicy,
    *,
    deposit: Decimal = ZERO,
    credit: Decimal = ZERO,
    termination_fee_rate: Decimal = ZERO,
    buyout_price: Decimal = ZERO,
) -> SettlementQuote:
    """The payoff on ``on``: :func:`accelerate` after charging penalties to the date."""
    charged = accrue_penalties(receivables, on, policy)
    accelerated = accelerate(charged, on, start_date)
    was_due = [r.due_date <= on for r in charged]
    principal = sum((r.unpaid(Component.PRINCIPAL) for r in accelerated), ZERO)
    interest_due = sum(
        (r.unpaid(Component.INTEREST) for r, due in zip(accelerated, was_due, strict=True) if due),
        ZERO,
    )
    accrued = sum(
        (
            r.unpaid(Component.INTEREST)
            for r, due in zip(accelerated, was_due, strict=True)
            if not due
        ),
        ZERO,
    )
    return SettlementQuote(
        on=on,
        outstanding_principal=principal,
        interest_due=interest_due,
        accrued_interest=accrued,
        penalties=sum((r.unpaid(Component.PENALTY) for r in accelerated), ZERO),
        termination_fee=to_fen(principal * termination_fee_rate),
        deposit_offset=deposit,
        credit=credit,
        buyout_price=buyout_price,
        receivables=accelerated,
    )


def early_buyout_quote(
    receivables: Sequence[Receivable],
    on: date,
    start_date: date,
    policy: PenaltyPolicy,
    *,
    deposit: Decimal,
    credit: Decimal,
    termination_fee_rate: Decimal,
    buyout_price: Decimal,
) -> SettlementQuote:
    """Early buyout (提前留购) of a financing lease on ``on``."""
    return settlement_quote(
        receivables,
        on,
        start_date,
        policy,
        deposit=deposit,
        credit=credit,
        termination_fee_rate=termination_fee_rate,
        buyout_price=buyout_price,
    )


def termination_statement(
    receivables: Sequence[Receivable],
    on: date,
    start_date: date,
    policy: PenaltyPolicy,
    *,
    deposit: Decimal,
    credit: Decimal,
) -> SettlementQuote:
    """Accelerated termination: the outstanding balance falls due on ``on``."""
    return settlement_quote(receivables, on, start_date, policy, deposit=deposit, credit=credit)


@dataclass(frozen=True)
class Settlement:
    """The receivables after a payoff, and what goes back to the lessee."""

    receivables: tuple[Receivable, ...]
    refund: Decimal


def settle(quote: SettlementQuote, amount: Decimal, currency: str) -> Settlement:
    """Execute a quote with ``amount``: every receivable is paid; any excess is refunded."""
    require_currency(currency)
    amount = require_money(amount, "amount")
    if amount < quote.total:
        raise Unprocessable(f"amount must be at least {quote.total}", field="amount")
    paid = tuple(
        replace(r, principal_paid=r.principal, interest_paid=r.interest, penalty_paid=r.penalty)
        for r in quote.receivables
    )
    return Settlement(paid, amount - quote.total)
