"""All SQL about the listing projection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.db import newer_row_upsert, table_of
from datapark_trading.listings.models import Listing

_LISTINGS = table_of(Listing)


class ListingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, listing_id: uuid.UUID) -> Listing | None:
        return (
            await self.session.execute(select(Listing).where(Listing.id == listing_id))
        ).scalar_one_or_none()

    async def of_product(self, product_id: uuid.UUID) -> Sequence[Listing]:
        query = select(Listing).where(Listing.product_id == product_id).with_for_update()
        return (await self.session.execute(query)).scalars().all()

    async def upsert(self, values: dict[str, object]) -> None:
        """Insert or update one listing unless the stored one is as new or newer (aggseq).

        One constant statement, compiled once per process (``newer_row_upsert``; #14)."""
        columns = tuple(name for name in values if name != "id")
        await self.session.execute(newer_row_upsert(_LISTINGS, columns), values)
