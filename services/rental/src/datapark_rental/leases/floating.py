"""LPR-linked leases: the rate is the 1-year LPR plus a fixed spread, repriced on each
anniversary of the start (起租). A repricing takes the LPR in force on the anniversary and
recomputes every later period from the balance then outstanding, keeping the term, the due
dates and the balloon (``schedule.reprice``); the receivables of those periods follow and a
``lease.repriced`` fact carries the new schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from datapark_contracts.events import rental as events
from datapark_rental.leases.events import installment_rows
from datapark_rental.leases.models import Lease, LeaseReceivable
from datapark_rental.leases.parameters import lpr
from datapark_rental.leases.schedule import (
    Amortization,
    Installment,
    LeaseTerms,
    Schedule,
    due_date,
    reprice,
)

if TYPE_CHECKING:
    from datapark_rental.leases.service import LeaseService

REPRICING_MONTHS = 12


@dataclass(frozen=True)
class Repricing:
    """One anniversary's repricing, for the fact."""

    effective_from: date
    from_period: int
    lpr: Decimal
    previous_annual_rate: Decimal
    outstanding_principal: Decimal


def first_repricing(start: date, term_months: int) -> date | None:
    """The first anniversary with a period after it, or none for a term of a year or less."""
    return due_date(start, REPRICING_MONTHS) if term_months > REPRICING_MONTHS else None


def installments_of(lease: Lease) -> list[Installment]:
    return [
        Installment(
            period=int(row["period"]),
            due_date=date.fromisoformat(row["due_date"]),
            payment=Decimal(row["payment"]),
            interest=Decimal(row["interest"]),
            principal=Decimal(row["principal"]),
            balance=Decimal(row["balance"]),
        )
        for row in lease.schedule
    ]


def schedule_of(lease: Lease, terms: LeaseTerms) -> Schedule:
    """The lease's stored schedule (repriced or not) as a domain schedule of ``terms``."""
    return Schedule(terms, tuple(installments_of(lease)))


def reprice_once(lease: Lease, rows: list[LeaseReceivable] | None) -> Repricing:
    """Apply the repricing due on ``lease.next_repricing_on`` to the lease's schedule (and its
    receivables, when it has them) and move the next date on."""
    on = lease.next_repricing_on
    assert on is not None
    assert lease.lpr_spread is not None
    months = REPRICING_MONTHS
    while due_date(lease.start_date, months) < on:
        months += REPRICING_MONTHS
    fixing = lpr(on, field="next_repricing_on")
    previous = lease.annual_rate
    rate = fixing + lease.lpr_spread
    installments = installments_of(lease)
    profile = (
        tuple(Decimal(x) for x in lease.cash_flow_profile) if lease.cash_flow_profile else None
    )
    repriced = reprice(
        installments,
        months,
        rate,
        financed_principal=lease.financed_principal,
        balloon=lease.balloon,
        amortization=Amortization(lease.amortization),
        profile=profile,
    )
    by_period = {item.period: item for item in repriced}
    for row in rows or ():
        if row.kind == "installment" and row.period > months:
            item = by_period[row.period]
            row.principal, row.interest = item.principal, item.interest
    lease.schedule = installment_rows(repriced)
    lease.annual_rate = rate
    following = months + REPRICING_MONTHS
    lease.next_repricing_on = (
        due_date(lease.start_date, following) if lease.term_months > following else None
    )
    return Repricing(on, months + 1, fixing, previous, installments[months - 1].balance)


async def publish_repricing(
    leases: LeaseService, lease: Lease, repricing: Repricing, now: datetime
) -> None:
    await leases.publish(
        lease,
        events.LeaseRepriced,
        now,
        effective_from=repricing.effective_from,
        from_period=repricing.from_period,
        lpr=repricing.lpr,
        previous_annual_rate=repricing.previous_annual_rate,
        outstanding_principal=repricing.outstanding_principal,
    )


async def reprice_due(leases: LeaseService, today: date, now: datetime, limit: int = 100) -> int:
    """Reprice every active LPR-linked lease whose anniversary has come (the sweeper)."""
    due = await leases.repo.leases_to_reprice(today, limit)
    for lease in due:
        rows = await leases.repo.receivables(lease.id)
        while lease.next_repricing_on is not None and lease.next_repricing_on <= today:
            await publish_repricing(leases, lease, reprice_once(lease, rows), now)
    return len(due)
