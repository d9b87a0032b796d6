"""HTTP endpoints of the search over everything on offer, and the venues."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datapark_catalog.listings.schemas import SearchItem, SearchPage, VenueOut
from datapark_catalog.listings.search import DEFAULT_LIMIT, ListingKind, SearchFilter
from datapark_catalog.listings.service import search
from datapark_catalog.products.repository import ProductRepository
from datapark_contracts.events.catalog_listings import DataDomain, RobotCategory
from datapark_contracts.money import MoneyInput
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(prefix="/v1", tags=["listings"], route_class=UnitOfWorkRoute)


@router.get("/listings", response_model=SearchPage)
async def search_listings(
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: ListingKind | None = None,
    domain: DataDomain | None = None,
    venue: str | None = None,
    category: RobotCategory | None = None,
    min_price: MoneyInput | None = None,
    max_price: MoneyInput | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> SearchPage:
    """What is on offer now: data products listed on a venue (one item per venue) and
    published rental offerings, newest first. ``domain`` and ``venue`` apply to data
    products, ``category`` to offerings; the price range applies to the headline price (the
    fixed price, the price per period, the unit price, or the shortest rate on a rate card)."""
    f = SearchFilter(kind, domain, venue, category, min_price, max_price, text, limit)
    hits, next_cursor = await search(session, f, cursor)
    return SearchPage(items=[SearchItem(**hit.__dict__) for hit in hits], next_cursor=next_cursor)


@router.get("/venues", response_model=list[VenueOut])
async def list_venues(session: SessionDep, principal: CurrentPrincipal) -> list[VenueOut]:
    """The venues (exchanges) products can be listed on, with their fee rates."""
    return [VenueOut.model_validate(v) for v in await ProductRepository(session).all_venues()]
