"""All SQL about valuations and balance-sheet records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.products.models import DataProduct
from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow


class ValuationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def of_product(self, product_id: uuid.UUID) -> list[ValuationRow]:
        return await self.of_products([product_id])

    async def of_products(self, product_ids: Sequence[uuid.UUID]) -> list[ValuationRow]:
        """The products' valuations, oldest base date first (the last recorded last in a tie)."""
        if not product_ids:
            return []
        rows = await self.session.execute(
            select(ValuationRow)
            .where(ValuationRow.product_id.in_(product_ids))
            .order_by(ValuationRow.base_date, ValuationRow.recorded_at, ValuationRow.id)
        )
        return list(rows.scalars())

    async def balance_sheet(
        self, product_id: uuid.UUID, *, for_update: bool = False
    ) -> BalanceSheetRow | None:
        query = select(BalanceSheetRow).where(BalanceSheetRow.product_id == product_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def balance_sheets_of_owner(
        self, owner_id: uuid.UUID
    ) -> list[tuple[BalanceSheetRow, str]]:
        """Every balance-sheet record of the owner's products with the product's title, by
        title (then product id)."""
        rows = await self.session.execute(
            select(BalanceSheetRow, DataProduct.title)
            .join(DataProduct, DataProduct.id == BalanceSheetRow.product_id)
            .where(DataProduct.owner_participant_id == owner_id)
            .order_by(DataProduct.title, DataProduct.id)
        )
        return [(row, title) for row, title in rows.tuples()]
