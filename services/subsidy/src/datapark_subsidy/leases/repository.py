"""All SQL about the lease projection and its receivables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, lease_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Insert or refresh a lease; an older event (lower aggseq) never overwrites a newer."""
        stmt = insert(LeaseRecord).values(id=lease_id, assessed=False, ineligible=[], **values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[LeaseRecord.id],
                set_=values,
                where=LeaseRecord.aggseq < stmt.excluded.aggseq,
            )
        )

    async def add_receivables(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert receivables that are not known yet; what is known (and paid) stays."""
        if not rows:
            return
        await self.session.execute(
            insert(LeaseReceivableRecord).values(list(rows)).on_conflict_do_nothing()
        )

    async def reschedule(self, rows: Sequence[dict[str, Any]]) -> None:
        """New terms for receivables not paid yet (unknown ones are added)."""
        if not rows:
            return
        stmt = insert(LeaseReceivableRecord).values(list(rows))
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    LeaseReceivableRecord.lease_id,
                    LeaseReceivableRecord.kind,
                    LeaseReceivableRecord.period,
                ],
                set_={
                    "due_on": stmt.excluded.due_on,
                    "amount": stmt.excluded.amount,
                    "interest": stmt.excluded.interest,
                    "fees": stmt.excluded.fees,
                    "opening_balance": stmt.excluded.opening_balance,
                },
                where=LeaseReceivableRecord.paid_on.is_(None),
            )
        )

    async def mark(
        self,
        lease_id: uuid.UUID,
        kind: str,
        period: int,
        *,
        fell_due_on: date | None = None,
        paid_on: date | None = None,
    ) -> bool:
        """Record that a receivable fell due or was paid (the first date stays); True if it
        changed."""
        row = LeaseReceivableRecord
        key = (row.lease_id == lease_id, row.kind == kind, row.period == period)
        changed = False
        if fell_due_on is not None:
            done = await self.session.execute(
                update(row)
                .where(*key, row.fell_due_on.is_(None))
                .values(fell_due_on=fell_due_on)
                .returning(row.period)
            )
            changed |= done.first() is not None
        if paid_on is not None:
            done = await self.session.execute(
                update(row)
                .where(*key, row.paid_on.is_(None))
                .values(paid_on=paid_on)
                .returning(row.period)
            )
            changed |= done.first() is not None
        return changed

    async def receivables(self, lease_id: uuid.UUID) -> list[LeaseReceivableRecord]:
        query = (
            select(LeaseReceivableRecord)
            .where(LeaseReceivableRecord.lease_id == lease_id)
            .order_by(
                LeaseReceivableRecord.due_on,
                LeaseReceivableRecord.kind,
                LeaseReceivableRecord.period,
            )
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def all_receivables(self) -> list[LeaseReceivableRecord]:
        query = select(LeaseReceivableRecord).order_by(
            LeaseReceivableRecord.lease_id, LeaseReceivableRecord.due_on
        )
        return list((await self.session.execute(query)).scalars())

    async def get(self, lease_id: uuid.UUID, *, for_update: bool = False) -> LeaseRecord | None:
        query = select(LeaseRecord).where(LeaseRecord.id == lease_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def unassessed_of(self, participant_id: uuid.UUID) -> list[LeaseRecord]:
        query = (
            select(LeaseRecord)
            .where(LeaseRecord.participant_id == participant_id, LeaseRecord.assessed.is_(False))
            .order_by(LeaseRecord.recorded)
            .with_for_update()
        )
        return list((await self.session.execute(query)).scalars())

    async def all_in_order(self) -> list[LeaseRecord]:
        query = select(LeaseRecord).order_by(LeaseRecord.recorded)
        return list((await self.session.execute(query)).scalars())
