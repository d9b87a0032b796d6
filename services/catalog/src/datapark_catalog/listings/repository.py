"""All SQL of the search over what is on offer (venue listings and rental offerings)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet.models import RentalOfferingRow
from datapark_catalog.listings.models import VenueListingRow
from datapark_catalog.listings.search import Cursor, SearchFilter
from datapark_catalog.products.models import DataProduct


@dataclass(frozen=True)
class Hit:
    kind: str
    id: uuid.UUID
    product_id: uuid.UUID | None
    offering_id: uuid.UUID | None
    owner_participant_id: uuid.UUID
    title: str
    domain: str | None
    category: str | None
    venue_code: str | None
    reference: str | None
    price_kind: str
    headline_price: Decimal | None
    published_at: datetime


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def products(self, f: SearchFilter, after: Cursor | None, limit: int) -> list[Hit]:
        query = (
            select(VenueListingRow, DataProduct)
            .join(DataProduct, DataProduct.id == VenueListingRow.product_id)
            .where(DataProduct.state == "listed", VenueListingRow.state == "listed")
            .order_by(VenueListingRow.listed_at.desc(), VenueListingRow.id.desc())
            .limit(limit)
        )
        if f.domain is not None:
            query = query.where(DataProduct.domain == f.domain.value)
        if f.venue is not None:
            query = query.where(VenueListingRow.venue_code == f.venue)
        if f.min_price is not None:
            query = query.where(VenueListingRow.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(VenueListingRow.headline_price <= f.max_price)
        if f.text:
            pattern = _like(f.text)
            query = query.where(
                or_(
                    DataProduct.title.ilike(pattern),
                    DataProduct.description.ilike(pattern),
                    func.array_to_string(DataProduct.keywords, " ").ilike(pattern),
                )
            )
        if after is not None:
            query = query.where(
                tuple_(VenueListingRow.listed_at, VenueListingRow.id)
                < tuple_(literal(after.published_at), literal(after.item_id))
            )
        rows = await self.session.execute(query)
        return [
            Hit(
                kind="data_product",
                id=listing.id,
                product_id=product.id,
                offering_id=None,
                owner_participant_id=product.owner_participant_id,
                title=product.title,
                domain=product.domain,
                category=None,
                venue_code=listing.venue_code,
                reference=listing.reference,
                price_kind=listing.price_kind,
                headline_price=listing.headline_price,
                published_at=listing.listed_at,
            )
            for listing, product in rows.all()
        ]

    async def offerings(self, f: SearchFilter, after: Cursor | None, limit: int) -> list[Hit]:
        o = RentalOfferingRow
        query = (
            select(o)
            .where(o.state == "published")
            .order_by(o.published_at.desc(), o.id.desc())
            .limit(limit)
        )
        if f.category is not None:
            query = query.where(o.category == f.category.value)
        if f.min_price is not None:
            query = query.where(o.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(o.headline_price <= f.max_price)
        if f.text:
            pattern = _like(f.text)
            query = query.where(
                or_(
                    o.title.ilike(pattern),
                    o.location.ilike(pattern),
                    o.category.ilike(pattern),
                )
            )
        if after is not None:
            query = query.where(
                and_(
                    tuple_(o.published_at, o.id)
                    < tuple_(literal(after.published_at), literal(after.item_id))
                )
            )
        rows = await self.session.execute(query)
        return [
            Hit(
                kind="rental_offering",
                id=row.id,
                product_id=None,
                offering_id=row.id,
                owner_participant_id=row.lessor_participant_id,
                title=row.title,
                domain=None,
                category=row.category,
                venue_code=None,
                reference=None,
                price_kind="rate_card",
                headline_price=row.headline_price,
                published_at=row.published_at,
            )
            for row in rows.scalars()
        ]
