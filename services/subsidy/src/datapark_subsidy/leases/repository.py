"""All SQL about the lease projection."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.leases.models import LeaseRecord


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
