"""All SQL of the search over what is on offer (venue listings and rental offerings).

One statement per page: each kind's newest rows after the cursor (a backward walk of a partial
index on its listed rows, ``(listed_at, id)`` or ``(published_at, id)``, led by the venue or
category when one is asked for), merged and cut to the page. Text narrows through the n-gram
GIN indexes (``catalog.search_grams``, migration 0003) and is then rechecked with the ILIKE
that defines a match, so the index changes the cost and never the results.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet.models import RentalOfferingRow
from datapark_catalog.listings.search import Cursor, SearchFilter
from datapark_catalog.products.models import DataProduct, VenueListingRow


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


def _inline(value: str) -> ColumnElement[str]:
    """A constant written into the SQL text, never a parameter: the planner must see
    ``state = 'listed'`` to use the partial indexes, in a generic plan of a prepared
    statement too (with ``state = $1`` it falls back to scanning and sorting every row)."""
    return literal(value, literal_execute=True)


def _limit(limit: int) -> ColumnElement[int]:
    """The page size written into the SQL text, so no generic plan guesses it."""
    return literal(limit, literal_execute=True)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _grams_match(grams: SQLColumnExpression[list[str]], text: str) -> ColumnElement[bool]:
    """The document holds every n-gram of the query (served by a GIN index; necessary, not
    sufficient: the ILIKE recheck decides)."""
    return grams.op("@>")(func.catalog.search_query_grams(text))


def _after(
    at: SQLColumnExpression[datetime], row_id: SQLColumnExpression[uuid.UUID], cursor: Cursor
) -> ColumnElement[bool]:
    return tuple_(at, row_id) < tuple_(literal(cursor.published_at), literal(cursor.item_id))


def _no_uuid() -> ColumnElement[uuid.UUID]:
    return null().cast(UUID(as_uuid=True))


def _no_text() -> ColumnElement[str]:
    return null().cast(String())


@cache
def _listed_products() -> Select[tuple[object, ...]]:
    """Listed products on their venues, newest first, as search hits (built once: statements
    are immutable, each page adds its filters to a copy)."""
    listing, product = VenueListingRow, DataProduct
    return (
        select(
            literal("data_product").label("kind"),
            listing.id.label("id"),
            product.id.label("product_id"),
            _no_uuid().label("offering_id"),
            product.owner_participant_id.label("owner_participant_id"),
            product.title.label("title"),
            product.domain.label("domain"),
            _no_text().label("category"),
            listing.venue_code.label("venue_code"),
            listing.reference.label("reference"),
            listing.price_kind.label("price_kind"),
            listing.headline_price.label("headline_price"),
            listing.listed_at.label("published_at"),
        )
        .join(product, product.id == listing.product_id)
        .where(product.state == _inline("listed"), listing.state == _inline("listed"))
        .order_by(listing.listed_at.desc(), listing.id.desc())
    )


@cache
def _published_offerings() -> Select[tuple[object, ...]]:
    """Published rental offerings, newest first, as search hits (built once)."""
    o = RentalOfferingRow
    return (
        select(
            literal("rental_offering").label("kind"),
            o.id.label("id"),
            _no_uuid().label("product_id"),
            o.id.label("offering_id"),
            o.lessor_participant_id.label("owner_participant_id"),
            o.title.label("title"),
            _no_text().label("domain"),
            o.category.label("category"),
            _no_text().label("venue_code"),
            _no_text().label("reference"),
            literal("rate_card").label("price_kind"),
            o.headline_price.label("headline_price"),
            o.published_at.label("published_at"),
        )
        .where(o.state == _inline("published"))
        .order_by(o.published_at.desc(), o.id.desc())
    )


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        f: SearchFilter,
        after: Cursor | None,
        limit: int,
        *,
        products: bool,
        offerings: bool,
    ) -> list[Hit]:
        """Up to ``limit`` items of the asked kinds, newest first, strictly after ``after``."""
        if not (products or offerings):
            return []
        query = self.statement(f, after, limit, products=products, offerings=offerings)
        rows = await self.session.execute(query)
        return [Hit(**row) for row in rows.mappings()]

    @classmethod
    def statement(
        cls,
        f: SearchFilter,
        after: Cursor | None,
        limit: int,
        *,
        products: bool,
        offerings: bool,
    ) -> Select[tuple[object, ...]]:
        """The one statement of a page (public so its plan can be examined)."""
        parts = []
        if products:
            parts.append(cls._products(f, after, limit))
        if offerings:
            parts.append(cls._offerings(f, after, limit))
        if len(parts) == 1:
            return parts[0]
        both = union_all(*parts).subquery("hits")
        return (
            select(both).order_by(both.c.published_at.desc(), both.c.id.desc()).limit(_limit(limit))
        )

    @staticmethod
    def _products(f: SearchFilter, after: Cursor | None, limit: int) -> Select[tuple[object, ...]]:
        listing, product = VenueListingRow, DataProduct
        query = _listed_products().limit(_limit(limit))
        if f.domain is not None:
            query = query.where(product.domain == f.domain.value)
        if f.venue is not None:
            query = query.where(listing.venue_code == f.venue)
        if f.min_price is not None:
            query = query.where(listing.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(listing.headline_price <= f.max_price)
        if f.text:
            pattern = _like(f.text)
            query = query.where(
                _grams_match(product.search_grams, f.text),
                or_(
                    product.title.ilike(pattern),
                    product.description.ilike(pattern),
                    func.array_to_string(product.keywords, " ").ilike(pattern),
                ),
            )
        if after is not None:
            query = query.where(_after(listing.listed_at, listing.id, after))
        return query

    @staticmethod
    def _offerings(f: SearchFilter, after: Cursor | None, limit: int) -> Select[tuple[object, ...]]:
        o = RentalOfferingRow
        query = _published_offerings().limit(_limit(limit))
        if f.category is not None:
            query = query.where(o.category == f.category.value)
        if f.min_price is not None:
            query = query.where(o.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(o.headline_price <= f.max_price)
        if f.text:
            pattern = _like(f.text)
            query = query.where(
                _grams_match(o.search_grams, f.text),
                or_(o.title.ilike(pattern), o.location.ilike(pattern), o.category.ilike(pattern)),
            )
        if after is not None:
            query = query.where(_after(o.published_at, o.id, after))
        return query
