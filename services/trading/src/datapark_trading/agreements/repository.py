"""All SQL about agreements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.agreements.models import AgreementRow


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: AgreementRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(
        self, agreement_id: uuid.UUID, *, for_update: bool = False
    ) -> AgreementRow | None:
        query = select(AgreementRow).where(AgreementRow.id == agreement_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def running_for_listing(
        self, listing_id: uuid.UUID, now: datetime
    ) -> Sequence[AgreementRow]:
        query = (
            select(AgreementRow)
            .where(
                AgreementRow.listing_id == listing_id,
                AgreementRow.terminated_at.is_(None),
                AgreementRow.superseded_by.is_(None),
                AgreementRow.ends_at > now,
            )
            .order_by(AgreementRow.id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalars().all()
