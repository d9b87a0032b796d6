"""All SQL about valuations and balance-sheet records."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow


class ValuationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def of_product(self, product_id: uuid.UUID) -> list[ValuationRow]:
        rows = await self.session.execute(
            select(ValuationRow)
            .where(ValuationRow.product_id == product_id)
            .order_by(ValuationRow.base_date, ValuationRow.recorded_at)
        )
        return list(rows.scalars())

    async def balance_sheet(
        self, product_id: uuid.UUID, *, for_update: bool = False
    ) -> BalanceSheetRow | None:
        query = select(BalanceSheetRow).where(BalanceSheetRow.product_id == product_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()
