"""The listing projection: catalog's data product snapshots kept, and read as trade needs it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.catalog_listings import DataProductSnapshot
from datapark_kit.errors import InvalidState, NotFound
from datapark_trading.listings.models import Listing
from datapark_trading.listings.repository import ListingRepository
from datapark_trading.listings.states import effective_state
from datapark_trading.terms.policy import ListingState


@dataclass(frozen=True)
class ListingChange:
    """A listing that stopped or resumed taking orders."""

    listing_id: uuid.UUID
    was: ListingState
    now: ListingState


async def project_product(
    session: AsyncSession, payload: DataProductSnapshot, *, aggseq: int
) -> list[ListingChange]:
    """Upsert a row per venue listing of the product, unless one already holds a newer
    ``aggseq`` (redelivery and replay never move it back); the listings whose effective state
    changed."""
    repo = ListingRepository(session)
    before = {row.id: row for row in await repo.of_product(payload.product_id)}
    if any(row.aggseq >= aggseq for row in before.values()):
        return []
    changes = []
    for listing in payload.listings:
        old = before.get(listing.listing_id)
        was = None if old is None else effective_state(old.product_state, old.listing_state)
        now = effective_state(payload.state.value, listing.state.value)
        await repo.upsert(
            {
                "id": listing.listing_id,
                "product_id": payload.product_id,
                "provider_id": payload.owner_participant_id,
                "title": payload.title,
                "venue_code": listing.venue_code,
                "venue_fee_rate": listing.venue_fee_rate,
                "product_state": payload.state.value,
                "listing_state": listing.state.value,
                "price_terms": listing.price_terms.model_dump(mode="json"),
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            }
        )
        if was is not None and was is not now:
            changes.append(ListingChange(listing.listing_id, was, now))
    return changes


async def tradable_listing(session: AsyncSession, listing_id: uuid.UUID, action: str) -> Listing:
    """The listing, if it takes new business; 404 if unknown, 409 with its state if not listed."""
    listing = await ListingRepository(session).get(listing_id)
    if listing is None:
        raise NotFound("listing not found")
    if not listing.tradable:
        state = effective_state(listing.product_state, listing.listing_state).value
        raise InvalidState(
            "listing",
            state,
            action,
            f"only listed products trade: the product is {listing.product_state} and its "
            f"listing on {listing.venue_code} is {listing.listing_state}",
        )
    return listing
