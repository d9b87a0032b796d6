"""All SQL of leases: terms, receivables, payments, usage, exposures and lessor figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_rental.leases.models import (
    Lease,
    LeaseInvoice,
    LeasePayment,
    LeaseReceivable,
    LessorFinancials,
    UsageRecord,
)
from datapark_rental.tables import PARTICIPANTS

EXPOSED_STATES = ("approved", "signed", "awaiting_down_payment", "active", "terminated")
"""States in which a lease counts against the lessor's concentration limits."""
SERVICED_STATES = ("active", "terminated", "returned")
"""States whose receivables are still collected: penalties accrue and payments are taken."""


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def get(self, lease_id: uuid.UUID, *, for_update: bool = False) -> Lease | None:
        query = select(Lease).where(Lease.id == lease_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        *,
        before: uuid.UUID | None,
        limit: int,
        party: uuid.UUID | None = None,
        visible_to: uuid.UUID | None = None,
        state: str | None = None,
        mode: str | None = None,
    ) -> list[Lease]:
        """Leases newest first (uuid7 ids are time ordered), strictly before ``before``.

        ``party`` and ``visible_to`` each keep only leases where that participant is the
        lessee or the lessor (the filter asked for, and the caller's tenant)."""
        query = select(Lease).order_by(Lease.id.desc()).limit(limit)
        if before is not None:
            query = query.where(Lease.id < before)
        for participant_id in (party, visible_to):
            if participant_id is not None:
                query = query.where(
                    or_(
                        Lease.lessee_participant_id == participant_id,
                        Lease.lessor_participant_id == participant_id,
                    )
                )
        if state is not None:
            query = query.where(Lease.state == state)
        if mode is not None:
            query = query.where(Lease.mode == mode)
        return list((await self.session.execute(query)).scalars())

    async def receivables(self, lease_id: uuid.UUID) -> list[LeaseReceivable]:
        query = (
            select(LeaseReceivable)
            .where(LeaseReceivable.lease_id == lease_id)
            .order_by(LeaseReceivable.due_date, LeaseReceivable.period, LeaseReceivable.kind)
        )
        return list((await self.session.execute(query)).scalars())

    async def receivable_page(
        self, lease_id: uuid.UUID, *, after: tuple[date, int, str] | None, limit: int
    ) -> list[LeaseReceivable]:
        """A lease's receivables by due date (then period and kind), strictly after ``after``
        in that order."""
        order = (LeaseReceivable.due_date, LeaseReceivable.period, LeaseReceivable.kind)
        query = (
            select(LeaseReceivable)
            .where(LeaseReceivable.lease_id == lease_id)
            .order_by(*order)
            .limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(*order) > tuple_(*(literal(v) for v in after)))
        return list((await self.session.execute(query)).scalars())

    async def participant(self, participant_id: uuid.UUID) -> tuple[str, str | None] | None:
        """The lessee as rental's participant projection knows it: (status, group id)."""
        query = select(PARTICIPANTS.c.status, PARTICIPANTS.c.group_id).where(
            PARTICIPANTS.c.id == participant_id
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row.status, row.group_id)

    async def uscc(self, participant_id: uuid.UUID) -> str | None:
        """The participant's USCC as the projection knows it (none for a person)."""
        query = select(PARTICIPANTS.c.uscc).where(PARTICIPANTS.c.id == participant_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def next_invoice_number(self) -> int:
        query = text("SELECT nextval('rental.lease_invoice_number')")
        return int((await self.session.execute(query)).scalar_one())

    async def lease_invoice_page(
        self, lease_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> list[LeaseInvoice]:
        """A lease's invoices oldest first (uuid7 ids are time ordered), strictly after
        ``after``."""
        query = (
            select(LeaseInvoice)
            .where(LeaseInvoice.lease_id == lease_id)
            .order_by(LeaseInvoice.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(LeaseInvoice.id > after)
        return list((await self.session.execute(query)).scalars())

    async def invoice_page(
        self,
        *,
        before: uuid.UUID | None,
        limit: int,
        visible_to: uuid.UUID | None,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> list[LeaseInvoice]:
        """Invoices newest first, strictly before ``before``; ``visible_to`` keeps those where
        that participant is the lessor (seller) or the lessee (buyer)."""
        query = select(LeaseInvoice).order_by(LeaseInvoice.id.desc()).limit(limit)
        if before is not None:
            query = query.where(LeaseInvoice.id < before)
        if visible_to is not None:
            query = query.where(
                or_(
                    LeaseInvoice.lessor_participant_id == visible_to,
                    LeaseInvoice.lessee_participant_id == visible_to,
                )
            )
        if issued_from is not None:
            query = query.where(LeaseInvoice.issued_on >= issued_from)
        if issued_to is not None:
            query = query.where(LeaseInvoice.issued_on <= issued_to)
        return list((await self.session.execute(query)).scalars())

    async def leases_to_reprice(self, today: date, limit: int) -> list[Lease]:
        """Active LPR-linked leases whose next anniversary has come."""
        query = (
            select(Lease)
            .where(
                Lease.state == "active",
                Lease.rate_type == "lpr_linked",
                Lease.next_repricing_on <= today,
            )
            .order_by(Lease.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def net_assets(self, lessor_id: uuid.UUID) -> Decimal | None:
        row = await self.session.get(LessorFinancials, lessor_id)
        return None if row is None else row.net_assets

    async def lessor_financials(self, lessor_id: uuid.UUID) -> LessorFinancials | None:
        return await self.session.get(LessorFinancials, lessor_id)

    async def exposure(
        self,
        lessor_id: uuid.UUID,
        lessee_ids: Sequence[uuid.UUID] | None = None,
        *,
        group_id: str | None = None,
    ) -> Decimal:
        """Principal the lessor has financed and not yet recovered, to lessees or a group."""
        unpaid = (
            select(
                LeaseReceivable.lease_id,
                func.sum(LeaseReceivable.principal - LeaseReceivable.principal_paid).label("owed"),
            )
            .where(LeaseReceivable.kind.in_(("installment", "balloon")))
            .group_by(LeaseReceivable.lease_id)
            .subquery()
        )
        owed = func.coalesce(unpaid.c.owed, Lease.financed_principal)
        query = (
            select(func.coalesce(func.sum(owed), 0))
            .select_from(Lease)
            .outerjoin(unpaid, unpaid.c.lease_id == Lease.id)
            .where(Lease.lessor_participant_id == lessor_id, Lease.state.in_(EXPOSED_STATES))
        )
        if group_id is not None:
            members = select(PARTICIPANTS.c.id).where(PARTICIPANTS.c.group_id == group_id)
            query = query.where(Lease.lessee_participant_id.in_(members))
        elif lessee_ids is not None:
            query = query.where(Lease.lessee_participant_id.in_(lessee_ids))
        return Decimal((await self.session.execute(query)).scalar_one()).quantize(Decimal("0.01"))

    async def usage_for_month(
        self, lease_id: uuid.UUID, first: date, last: date
    ) -> list[UsageRecord]:
        query = (
            select(UsageRecord)
            .where(
                UsageRecord.lease_id == lease_id,
                UsageRecord.occurred_on >= first,
                UsageRecord.occurred_on <= last,
                UsageRecord.invoiced_month.is_(None),
            )
            .with_for_update()
        )
        return list((await self.session.execute(query)).scalars())

    async def payments(self, lease_id: uuid.UUID) -> list[LeasePayment]:
        query = (
            select(LeasePayment)
            .where(LeasePayment.lease_id == lease_id)
            .order_by(LeasePayment.created_at)
        )
        return list((await self.session.execute(query)).scalars())

    async def leases_to_sweep(self, today: date, limit: int) -> list[Lease]:
        """Serviced leases with something due by ``today`` that is unannounced or unpaid."""
        due = (
            select(LeaseReceivable.lease_id)
            .where(
                LeaseReceivable.due_date <= today,
                (LeaseReceivable.announced_due.is_(False))
                | (
                    LeaseReceivable.principal_paid + LeaseReceivable.interest_paid
                    < LeaseReceivable.principal + LeaseReceivable.interest
                ),
            )
            .distinct()
        )
        query = (
            select(Lease)
            .where(Lease.state.in_(SERVICED_STATES), Lease.id.in_(due))
            .order_by(Lease.swept_at.asc().nulls_first(), Lease.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def mark_usage_invoiced(self, ids: Sequence[uuid.UUID], month: str) -> None:
        if ids:
            await self.session.execute(
                update(UsageRecord).where(UsageRecord.id.in_(ids)).values(invoiced_month=month)
            )
