"""Use cases of venue listings (list, suspend, resume, delist one venue or every venue, change
terms) and the search over everything on offer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.listings import pricing, states
from datapark_catalog.listings.pricing import Venue
from datapark_catalog.listings.repository import Hit, SearchRepository
from datapark_catalog.listings.schemas import ListingCreate, PriceTermsIn
from datapark_catalog.listings.search import (
    Cursor,
    ListingKind,
    SearchFilter,
    decode_cursor,
    encode_cursor,
    validate_filter,
)
from datapark_catalog.listings.states import ListingAction
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.access import ensure_active_participant, ensure_owner
from datapark_catalog.products.events import publish
from datapark_catalog.products.models import DataProduct, VenueListingRow, VenueRow
from datapark_catalog.products.repository import ProductRecord, ProductRepository
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataProductDelisted,
    DataProductListed,
    DataProductListingDelisted,
    DataProductListingResumed,
    DataProductListingSuspended,
    DataProductListingTermsChanged,
    DataProductSnapshot,
    DataProductState,
    VenueListingState,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, NotFound, Unprocessable

WHAT = "data product"
LISTING_EVENTS: dict[ListingAction, type[DataProductSnapshot]] = {
    ListingAction.SUSPEND: DataProductListingSuspended,
    ListingAction.RESUME: DataProductListingResumed,
    ListingAction.DELIST: DataProductListingDelisted,
    ListingAction.CHANGE_TERMS: DataProductListingTermsChanged,
}


def listing_of(row: VenueListingRow) -> states.VenueListing:
    """A stored venue listing as the domain's value."""
    return states.VenueListing(
        listing_id=row.id,
        venue_code=row.venue_code,
        reference=row.reference,
        state=VenueListingState(row.state),
        price_terms=pricing.terms_of_document(row.price_terms),
        listed_at=row.listed_at,
    )


class ListingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.products = ProductRepository(session)

    async def list_on_venue(
        self, principal: Principal, product_id: uuid.UUID, data: ListingCreate
    ) -> ProductRecord:
        """The owner lists its registered product on a venue with that venue's price terms."""
        product = await self._owned(principal, product_id)
        await ensure_active_participant(self.session, product.owner_participant_id)
        venue_row = await self.products.venue(data.venue_code.upper())
        if venue_row is None:
            raise Unprocessable(f"unknown venue {data.venue_code}", field="venue_code")
        venue = Venue(venue_row.code, venue_row.name, venue_row.name_en, venue_row.fee_rate)
        record = await self.products.record(product)
        now = datetime.now(UTC)
        reference = data.reference or states.listing_reference(
            venue, now, await self.products.next_listing_sequence()
        )
        outcome = states.list_on_venue(
            DataProductState(product.state),
            DataClassification(product.classification),
            [listing_of(row) for row in record.listings],
            states.VenueListing(
                listing_id=uuid7(),
                venue_code=venue.code,
                reference=reference,
                state=VenueListingState.LISTED,
                price_terms=data.price_terms.to_terms(),
                listed_at=now,
            ),
        )
        listing = outcome.listing
        row = VenueListingRow(
            id=listing.listing_id,
            product_id=product.id,
            venue_code=listing.venue_code,
            reference=listing.reference,
            state=listing.state.value,
            price_kind=pricing.price_kind(listing.price_terms).value,
            price_terms=pricing.terms_document(listing.price_terms),
            headline_price=pricing.headline_price(listing.price_terms),
            listed_at=now,
            updated_at=now,
        )
        try:
            async with self.session.begin_nested():
                await self.products.add(row)
        except IntegrityError:
            raise Conflict(
                f"the product is already listed on {venue.code}, or the reference is taken",
                code=CatalogProblem.ALREADY_LISTED,
            ) from None
        product.state = outcome.product_state.value
        return await self._changed(product, DataProductListed, now, venue_code=venue.code)

    async def step(
        self,
        principal: Principal,
        product_id: uuid.UUID,
        venue_code: str,
        action: ListingAction,
        *,
        reason: str | None = None,
        terms: PriceTermsIn | None = None,
    ) -> ProductRecord:
        """Suspend, resume, delist one venue listing, or change its price terms."""
        product = await self.products.get(product_id, for_update=True)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        operator_may = action in (ListingAction.SUSPEND, ListingAction.DELIST) and principal.has(
            "operator"
        )
        if not operator_may:
            ensure_owner(principal, product.owner_participant_id, WHAT)
        if action is ListingAction.RESUME:
            await ensure_active_participant(self.session, product.owner_participant_id)
        record = await self.products.record(product)
        code = venue_code.upper()
        live = [row for row in record.listings if row.venue_code == code]
        current = next((r for r in live if r.state != "delisted"), live[-1] if live else None)
        if current is None:
            raise NotFound(f"the product has no listing on {code}")
        outcome = states.step_listing(
            DataProductState(product.state),
            [listing_of(row) for row in record.listings],
            listing_of(current),
            action,
            terms.to_terms() if terms is not None else None,
        )
        now = datetime.now(UTC)
        current.state = outcome.listing.state.value
        current.price_kind = pricing.price_kind(outcome.listing.price_terms).value
        current.price_terms = pricing.terms_document(outcome.listing.price_terms)
        current.headline_price = pricing.headline_price(outcome.listing.price_terms)
        current.updated_at = now
        product.state = outcome.product_state.value
        event = LISTING_EVENTS[action]
        extra: dict[str, str] = {"venue_code": code}
        if action in (ListingAction.SUSPEND, ListingAction.DELIST):
            extra["reason"] = reason or "no reason given"
        return await self._changed(product, event, now, **extra)

    async def delist_everywhere(
        self, principal: Principal, product_id: uuid.UUID, reason: str
    ) -> ProductRecord:
        """Delist the product from every venue (owner or operator)."""
        product = await self.products.get(product_id, for_update=True)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        if not principal.has("operator"):
            ensure_owner(principal, product.owner_participant_id, WHAT)
        record = await self.products.record(product)
        state, listings = states.delist_everywhere(
            DataProductState(product.state), [listing_of(row) for row in record.listings]
        )
        now = datetime.now(UTC)
        for row, listing in zip(record.listings, listings, strict=True):
            if row.state != listing.state.value:
                row.state = listing.state.value
                row.updated_at = now
        product.state = state.value
        return await self._changed(product, DataProductDelisted, now, reason=reason)

    async def venues(self) -> list[VenueRow]:
        """The venues (exchanges) products can be listed on."""
        return await self.products.all_venues()

    async def _owned(self, principal: Principal, product_id: uuid.UUID) -> DataProduct:
        product = await self.products.get(product_id, for_update=True)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        ensure_owner(principal, product.owner_participant_id, WHAT)
        return product

    async def _changed(
        self,
        product: DataProduct,
        event: type[DataProductSnapshot],
        now: datetime,
        **extra: str,
    ) -> ProductRecord:
        product.updated_at = now
        product.version += 1
        await self.session.flush()
        record = await self.products.record(product)
        await publish(self.session, record, event, now, **extra)
        return record


async def search(
    session: AsyncSession, f: SearchFilter, cursor: str | None
) -> tuple[list[Hit], str | None]:
    """Keyset pagination newest first over both kinds: one more than a page after the cursor
    (one statement, both kinds merged in SQL); the cursor is the last item returned."""
    f = validate_filter(f)
    after = decode_cursor(cursor) if cursor else None
    products_only = f.domain is not None or f.venue is not None
    hits = await SearchRepository(session).page(
        f,
        after,
        f.limit + 1,
        products=f.kind in (None, ListingKind.DATA_PRODUCT) and f.category is None,
        offerings=f.kind in (None, ListingKind.RENTAL_OFFERING) and not products_only,
    )
    page = hits[: f.limit]
    more = len(hits) > f.limit
    next_cursor = encode_cursor(Cursor(page[-1].published_at, page[-1].id)) if more else None
    return page, next_cursor
