"""Reading the listing projection as trade needs it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.errors import InvalidState, NotFound
from datapark_trading.listings.models import Listing
from datapark_trading.listings.repository import ListingRepository
from datapark_trading.listings.rules import effective_state


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
