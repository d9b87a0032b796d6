"""A venue listing's states and what they do to its product: ``listed ⇄ suspended → delisted``;
the first listing moves a registered product to ``listed`` and delisting the last venue moves
it to ``delisted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from datapark_catalog.listings.pricing import (
    PriceTerms,
    Venue,
    validate_price_terms,
)
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.registration import ensure_listable
from datapark_catalog.products.states import ProductAction, transition
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataProductState,
    VenueListingState,
)
from datapark_kit.errors import Conflict, InvalidState, Unprocessable

ENTITY = "venue listing"


class ListingAction(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    DELIST = "delist"
    CHANGE_TERMS = "change_terms"


L = VenueListingState

LISTING_TRANSITIONS: dict[tuple[VenueListingState, ListingAction], VenueListingState] = {
    (L.LISTED, ListingAction.SUSPEND): L.SUSPENDED,
    (L.SUSPENDED, ListingAction.RESUME): L.LISTED,
    (L.LISTED, ListingAction.DELIST): L.DELISTED,
    (L.SUSPENDED, ListingAction.DELIST): L.DELISTED,
    (L.LISTED, ListingAction.CHANGE_TERMS): L.LISTED,
    (L.SUSPENDED, ListingAction.CHANGE_TERMS): L.SUSPENDED,
}


@dataclass(frozen=True)
class VenueListing:
    listing_id: UUID
    venue_code: str
    reference: str
    state: VenueListingState
    price_terms: PriceTerms
    listed_at: datetime


def listing_transition(state: VenueListingState, action: ListingAction) -> VenueListingState:
    try:
        return LISTING_TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidState(
            ENTITY,
            state.value,
            action.value,
            f"a venue listing in state '{state.value}' cannot {action.value.replace('_', ' ')}",
        ) from None


def listing_reference(venue: Venue, listed_at: datetime, sequence: int) -> str:
    """Our reference when the venue has not issued one yet: ``<VENUE>-YYYYMMDD-NNNNNN``."""
    return f"{venue.code}-{listed_at:%Y%m%d}-{sequence:06d}"


@dataclass(frozen=True)
class ListingOutcome:
    """A venue listing after a step, and the product's state after it."""

    listing: VenueListing
    product_state: DataProductState


def list_on_venue(
    product_state: DataProductState,
    classification: DataClassification,
    existing: Sequence[VenueListing],
    listing: VenueListing,
) -> ListingOutcome:
    """Add a listing on a venue. Core data is refused (422); so is a second live listing on
    the same venue (409); the product must be registered or listed (409 otherwise)."""
    ensure_listable(classification)
    new_state = transition(product_state, ProductAction.LIST)
    if any(
        other.venue_code == listing.venue_code and other.state is not L.DELISTED
        for other in existing
    ):
        raise Conflict(
            f"the product is already listed on {listing.venue_code}",
            code=CatalogProblem.ALREADY_LISTED,
            venue_code=listing.venue_code,
        )
    if not listing.reference.strip():
        raise Unprocessable("a listing needs a reference", field="reference")
    terms = validate_price_terms(listing.price_terms)
    return ListingOutcome(replace(listing, price_terms=terms, state=L.LISTED), new_state)


def step_listing(
    product_state: DataProductState,
    listings: Sequence[VenueListing],
    listing: VenueListing,
    action: ListingAction,
    new_terms: PriceTerms | None = None,
) -> ListingOutcome:
    """Suspend, resume, delist one venue listing or change its price terms.

    Resuming needs the product itself to be listed (a suspended product stays dark on every
    venue). Delisting the last live venue delists the product.
    """
    if product_state not in (DataProductState.LISTED, DataProductState.SUSPENDED):
        raise InvalidState(
            "data product",
            product_state.value,
            action.value,
            f"a data product in state '{product_state.value}' has no live venue listings",
        )
    if action is ListingAction.RESUME and product_state is not DataProductState.LISTED:
        raise InvalidState(
            "data product",
            product_state.value,
            action.value,
            f"a data product in state '{product_state.value}' cannot resume a venue listing",
        )
    state = listing_transition(listing.state, action)
    terms = listing.price_terms
    if action is ListingAction.CHANGE_TERMS:
        if new_terms is None:
            raise Unprocessable("new price terms are needed", field="price_terms")
        terms = validate_price_terms(new_terms)
    updated = replace(listing, state=state, price_terms=terms)
    product: DataProductState = product_state
    if state is L.DELISTED:
        live = [
            other
            for other in listings
            if other.listing_id != listing.listing_id and other.state is not L.DELISTED
        ]
        if not live:
            product = transition(product_state, ProductAction.DELIST)
    return ListingOutcome(updated, product)


def delist_everywhere(
    product_state: DataProductState, listings: Sequence[VenueListing]
) -> tuple[DataProductState, tuple[VenueListing, ...]]:
    """Delist the product itself: every live venue listing goes with it."""
    new_state = transition(product_state, ProductAction.DELIST)
    return new_state, tuple(
        item if item.state is L.DELISTED else replace(item, state=L.DELISTED) for item in listings
    )


def is_tradeable(product_state: DataProductState, listing: VenueListing) -> bool:
    """Takes new orders: the product is listed and so is this venue listing."""
    return product_state is DataProductState.LISTED and listing.state is L.LISTED
