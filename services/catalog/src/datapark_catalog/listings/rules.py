"""Listings of a data product on venues (exchanges), each with its own state, reference and
price terms.

Venues are data (a table seeded with the three below), not code paths. A venue listing moves
``listed ⇄ suspended → delisted``; the product's own state follows from its listings: the
first listing moves a registered product to ``listed`` and delisting the last venue moves it
to ``delisted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.registration import ensure_listable
from datapark_catalog.products.states import ProductAction, transition
from datapark_catalog.terms.money import parse_money, parse_rate
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataProductState,
    MeteredUnit,
    SubscriptionPeriod,
    VenueListingState,
)
from datapark_kit.errors import Conflict, InvalidState, Unprocessable

ENTITY = "venue listing"


@dataclass(frozen=True)
class Venue:
    """An exchange on which products are listed; ``fee_rate`` is its fee on each trade."""

    code: str
    name: str
    name_en: str
    fee_rate: Decimal


DEFAULT_VENUES: tuple[Venue, ...] = (
    Venue("BJIDE", "北京国际大数据交易所", "Beijing International Data Exchange", Decimal("0.03")),
    Venue("SZDE", "深圳数据交易所", "Shenzhen Data Exchange", Decimal("0.025")),
    Venue("GSDE", "甘肃数据交易所", "Gansu Data Exchange", Decimal("0.02")),
)
"""The venues the park starts with (北数所, 深数所, the Gansu exchange); the seed data."""


# --- price terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedPrice:
    price: Decimal


@dataclass(frozen=True)
class SubscriptionPrice:
    price_per_period: Decimal
    period: SubscriptionPeriod


@dataclass(frozen=True)
class MeteredPrice:
    unit: MeteredUnit
    unit_price: Decimal
    monthly_maximum: Decimal | None = None


@dataclass(frozen=True)
class NegotiablePrice:
    indicative_price: Decimal | None = None


PriceTerms = FixedPrice | SubscriptionPrice | MeteredPrice | NegotiablePrice


class PriceKind(StrEnum):
    FIXED = "fixed"
    SUBSCRIPTION = "subscription"
    METERED = "metered"
    NEGOTIABLE = "negotiable"


def price_kind(terms: PriceTerms) -> PriceKind:
    if isinstance(terms, FixedPrice):
        return PriceKind.FIXED
    if isinstance(terms, SubscriptionPrice):
        return PriceKind.SUBSCRIPTION
    if isinstance(terms, MeteredPrice):
        return PriceKind.METERED
    return PriceKind.NEGOTIABLE


def validate_price_terms(terms: PriceTerms, field: str = "price_terms") -> PriceTerms:
    """Money rules per form; ``Unprocessable`` names the offending field."""
    if isinstance(terms, FixedPrice):
        return FixedPrice(parse_money(terms.price, f"{field}.price", allow_zero=False))
    if isinstance(terms, SubscriptionPrice):
        return SubscriptionPrice(
            parse_money(terms.price_per_period, f"{field}.price_per_period", allow_zero=False),
            terms.period,
        )
    if isinstance(terms, MeteredPrice):
        unit_price = parse_money(terms.unit_price, f"{field}.unit_price", allow_zero=False)
        maximum = None
        if terms.monthly_maximum is not None:
            maximum = parse_money(
                terms.monthly_maximum, f"{field}.monthly_maximum", allow_zero=False
            )
            if maximum < unit_price:
                raise Unprocessable(
                    "the monthly maximum is below one unit's price",
                    field=f"{field}.monthly_maximum",
                )
        return MeteredPrice(terms.unit, unit_price, maximum)
    indicative = None
    if terms.indicative_price is not None:
        indicative = parse_money(terms.indicative_price, f"{field}.indicative_price")
    return NegotiablePrice(indicative)


def headline_price(terms: PriceTerms) -> Decimal | None:
    """The price that search filters and sorts on (None for negotiable without a hint)."""
    if isinstance(terms, FixedPrice):
        return terms.price
    if isinstance(terms, SubscriptionPrice):
        return terms.price_per_period
    if isinstance(terms, MeteredPrice):
        return terms.unit_price
    return terms.indicative_price


def validate_venue(venue: Venue) -> Venue:
    if not venue.code.strip() or not venue.code.isascii() or not venue.code.isupper():
        raise Unprocessable("a venue code is upper-case ASCII", field="code")
    if not venue.name.strip():
        raise Unprocessable("a venue needs a name", field="name")
    parse_rate(venue.fee_rate, "fee_rate")
    return venue


# --- venue listings ---------------------------------------------------------------------------


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
