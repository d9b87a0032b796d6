"""HTTP endpoints of venue listings (list a data product on a venue, suspend, resume, delist,
change terms, delist everywhere), the search over everything on offer, and the venues."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from datapark_catalog.listings.schemas import (
    ListingCreate,
    ListingTermsChange,
    SearchItem,
    SearchPage,
    VenueOut,
    VenuePage,
)
from datapark_catalog.listings.search import DEFAULT_LIMIT, ListingKind, SearchFilter
from datapark_catalog.listings.service import ListingService, search
from datapark_catalog.listings.states import ListingAction
from datapark_catalog.problems import LISTINGS
from datapark_catalog.products.schemas import DataProductOut, ReasonRequest
from datapark_contracts.events.catalog_listings import DataDomain, RobotCategory
from datapark_contracts.money import MoneyInput
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    prefix="/v1", tags=["listings"], route_class=UnitOfWorkRoute, responses=problems(*LISTINGS)
)
product_listings = APIRouter(
    prefix="/v1/data-products",
    tags=["data products"],
    route_class=UnitOfWorkRoute,
    responses=problems(*LISTINGS),
)

ProductId = Annotated[uuid.UUID, "the data product's id"]


@router.get("/listings", response_model=SearchPage)
async def search_listings(
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: ListingKind | None = None,
    domain: DataDomain | None = None,
    venue: str | None = None,
    category: RobotCategory | None = None,
    min_price: Annotated[
        MoneyInput | None,
        Query(description="lowest headline price: an amount in `currency` (`600.00`)"),
    ] = None,
    max_price: Annotated[
        MoneyInput | None,
        Query(description="highest headline price: an amount in `currency` (`5000.00`)"),
    ] = None,
    currency: Annotated[
        Literal["CNY"], Query(description="the currency of `min_price` and `max_price`")
    ] = "CNY",
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> SearchPage:
    """What is on offer now: data products listed on a venue (one item per venue) and
    published rental offerings, newest first. ``domain`` and ``venue`` apply to data
    products, ``category`` to offerings; the price range applies to the headline price (the
    fixed price, the price per period, the unit price, or the shortest rate on a rate card);
    a query string cannot carry a Money object, so its bounds are amounts in ``currency``."""
    f = SearchFilter(kind, domain, venue, category, min_price, max_price, text, limit)
    hits, next_cursor = await search(session, f, cursor)
    return SearchPage(
        items=[SearchItem.model_validate(hit) for hit in hits], next_cursor=next_cursor
    )


@router.get("/venues", response_model=VenuePage)
async def list_venues(session: SessionDep, principal: CurrentPrincipal) -> VenuePage:
    """The venues (exchanges) products can be listed on, with their fee rates (one page)."""
    return VenuePage(
        items=[VenueOut.model_validate(v) for v in await ListingService(session).venues()]
    )


@product_listings.post(
    "/{product_id}/listings",
    status_code=status.HTTP_201_CREATED,
    response_model=DataProductOut,
)
async def list_data_product(
    product_id: ProductId, body: ListingCreate, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """List a registered product on a venue with price terms (挂牌). Core data is refused; a
    suspended participant cannot list."""
    return DataProductOut.of(
        await ListingService(session).list_on_venue(principal, product_id, body)
    )


@product_listings.post("/{product_id}/listings/{venue_code}/suspend", response_model=DataProductOut)
async def suspend_listing(
    product_id: ProductId,
    venue_code: str,
    body: ReasonRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Suspend the product on one venue (owner or operator)."""
    return DataProductOut.of(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.SUSPEND, reason=body.reason
        )
    )


@product_listings.post("/{product_id}/listings/{venue_code}/resume", response_model=DataProductOut)
async def resume_listing(
    product_id: ProductId, venue_code: str, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Resume a suspended venue listing (owner only)."""
    return DataProductOut.of(
        await ListingService(session).step(principal, product_id, venue_code, ListingAction.RESUME)
    )


@product_listings.post("/{product_id}/listings/{venue_code}/delist", response_model=DataProductOut)
async def delist_listing(
    product_id: ProductId,
    venue_code: str,
    body: ReasonRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Delist the product from one venue; the last venue delists the product."""
    return DataProductOut.of(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.DELIST, reason=body.reason
        )
    )


@product_listings.put(
    "/{product_id}/listings/{venue_code}/price-terms", response_model=DataProductOut
)
async def change_listing_terms(
    product_id: ProductId,
    venue_code: str,
    body: ListingTermsChange,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Change a venue listing's price terms (owner only)."""
    return DataProductOut.of(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.CHANGE_TERMS, terms=body.price_terms
        )
    )


@product_listings.post("/{product_id}/delist", response_model=DataProductOut)
async def delist_data_product(
    product_id: ProductId, body: ReasonRequest, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Delist the product from every venue (owner or operator)."""
    return DataProductOut.of(
        await ListingService(session).delist_everywhere(principal, product_id, body.reason)
    )
