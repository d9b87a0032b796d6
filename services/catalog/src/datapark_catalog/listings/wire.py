"""Price terms between the domain dataclasses and their JSON form (the same form the
``catalog.listings.v1`` contract and the API use: money as ``{"amount", "currency"}``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from datapark_catalog.listings.pricing import (
    FixedPrice,
    MeteredPrice,
    NegotiablePrice,
    PriceTerms,
    SubscriptionPrice,
)
from datapark_catalog.listings.states import VenueListing
from datapark_catalog.products.models import VenueListingRow
from datapark_catalog.terms.money import money_json
from datapark_contracts.events.catalog_listings import (
    MeteredUnit,
    SubscriptionPeriod,
    VenueListingState,
)


def _amount(value: dict[str, Any] | None) -> Decimal | None:
    return None if value is None else Decimal(value["amount"])


def terms_to_wire(terms: PriceTerms) -> dict[str, Any]:
    if isinstance(terms, FixedPrice):
        return {"kind": "fixed", "price": money_json(terms.price)}
    if isinstance(terms, SubscriptionPrice):
        return {
            "kind": "subscription",
            "price_per_period": money_json(terms.price_per_period),
            "period": terms.period.value,
        }
    if isinstance(terms, MeteredPrice):
        return {
            "kind": "metered",
            "unit": terms.unit.value,
            "unit_price": money_json(terms.unit_price),
            "monthly_maximum": money_json(terms.monthly_maximum),
        }
    return {"kind": "negotiable", "indicative_price": money_json(terms.indicative_price)}


def terms_from_wire(data: dict[str, Any]) -> PriceTerms:
    kind = data["kind"]
    if kind == "fixed":
        return FixedPrice(Decimal(data["price"]["amount"]))
    if kind == "subscription":
        return SubscriptionPrice(
            Decimal(data["price_per_period"]["amount"]), SubscriptionPeriod(data["period"])
        )
    if kind == "metered":
        return MeteredPrice(
            MeteredUnit(data["unit"]),
            Decimal(data["unit_price"]["amount"]),
            _amount(data.get("monthly_maximum")),
        )
    return NegotiablePrice(_amount(data.get("indicative_price")))


def listing_of(row: VenueListingRow) -> VenueListing:
    """A stored venue listing as the domain's value."""
    return VenueListing(
        listing_id=row.id,
        venue_code=row.venue_code,
        reference=row.reference,
        state=VenueListingState(row.state),
        price_terms=terms_from_wire(row.price_terms),
        listed_at=row.listed_at,
    )
