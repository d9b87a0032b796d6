"""Invoices (发票) of lease payments: what a payment settled, VAT carved out by the lease's
basis (``tax.py``), one record per VAT rate, numbered from one sequence and published as
``lease.invoice_issued``. A payment that settles nothing taxed (a deposit, a
sale-and-leaseback's principal) yields no VAT invoice; money held as credit is invoiced when it
is applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_rental.leases.models import Lease, LeaseInvoice, LeasePayment, LeaseReceivable
from datapark_rental.leases.parameters import VatBasis
from datapark_rental.leases.tax import Charge, invoice_drafts, taxed
from datapark_rental.tables import OUTBOX

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from datapark_rental.leases.repository import LeaseRepository

NUMBER_PREFIX = "RL"


def invoice_number(issued_on: date, sequence: int) -> str:
    """``RL`` + year + 12-digit sequence: 18 characters, unique."""
    return f"{NUMBER_PREFIX}{issued_on.year:04d}{sequence:012d}"


def allocation_charges(
    lines: Sequence[events.Allocation], rows: Sequence[LeaseReceivable]
) -> list[Charge]:
    """What allocation lines settled, each at its receivable's VAT rate."""
    rates = {(row.kind, row.period): row.vat_rate for row in rows}
    return [
        Charge(
            line.component,
            line.amount,
            rates[(line.kind, line.period)],
            period=line.period,
            kind=line.kind,
        )
        for line in lines
    ]


async def issue(
    session: AsyncSession,
    repo: LeaseRepository,
    lease: Lease,
    payment: LeasePayment,
    charges: Sequence[Charge],
    issued_on: date,
    now: datetime,
) -> list[LeaseInvoice]:
    basis = VatBasis(lease.vat_basis)
    drafts = [d for d in invoice_drafts(basis, charges) if d.vat.total != 0]
    if not drafts:
        return []
    buyer = await repo.uscc(lease.lessee_participant_id)
    issued: list[LeaseInvoice] = []
    for draft in drafts:
        vat = draft.vat
        lines = [
            events.InvoiceLine(
                item=c.item,
                period=c.period,
                kind=c.kind,
                amount=c.amount,
                taxed=taxed(basis, c.item),
            )
            for c in draft.charges
        ]
        invoice = LeaseInvoice(
            id=uuid7(),
            number=invoice_number(issued_on, await repo.next_invoice_number()),
            lease_id=lease.id,
            payment_id=payment.id,
            lessor_participant_id=lease.lessor_participant_id,
            lessee_participant_id=lease.lessee_participant_id,
            buyer_uscc=buyer,
            issued_on=issued_on,
            vat_basis=basis.value,
            rate=vat.rate,
            net=vat.net,
            tax=vat.tax,
            total=vat.total,
            untaxed=vat.untaxed,
            lines=[line.model_dump(mode="json") for line in lines],
            created_at=now,
        )
        await repo.add(invoice)
        await OUTBOX.append(
            session,
            events.LeaseInvoiceIssued(
                lease_id=lease.id,
                lessee_participant_id=lease.lessee_participant_id,
                occurred_at=now,
                invoice_id=invoice.id,
                number=invoice.number,
                payment_id=payment.id,
                lessor_participant_id=lease.lessor_participant_id,
                buyer_uscc=buyer,
                issued_on=issued_on,
                vat_basis=basis.value,
                rate=vat.rate,
                net=vat.net,
                tax=vat.tax,
                total=vat.total,
                untaxed=vat.untaxed,
                lines=tuple(lines),
            ),
            occurred_at=now,
        )
        issued.append(invoice)
    return issued
