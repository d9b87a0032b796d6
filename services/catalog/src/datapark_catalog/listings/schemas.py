"""Request and response bodies of venue listings and the search over everything on offer."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from datapark_catalog.listings.pricing import (
    FixedPrice,
    MeteredPrice,
    NegotiablePrice,
    PriceTerms,
    SubscriptionPrice,
)
from datapark_catalog.products.schemas import MoneyOut
from datapark_contracts.events.catalog_listings import MeteredUnit, SubscriptionPeriod
from datapark_kit.errors import Unprocessable
from datapark_kit.schemas import RequestModel

T = TypeVar("T")


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PriceTermsIn(_In):
    """Fixed (``price``), subscription (``price_per_period`` + ``period``), metered
    (``unit`` + ``unit_price``, optional ``monthly_maximum``) or negotiable (optional
    ``indicative_price``). Amounts are decimal strings with at most two places, in CNY."""

    kind: Literal["fixed", "subscription", "metered", "negotiable"]
    currency: Literal["CNY"] = "CNY"
    price: Decimal | None = None
    price_per_period: Decimal | None = None
    period: SubscriptionPeriod | None = None
    unit: MeteredUnit | None = None
    unit_price: Decimal | None = None
    monthly_maximum: Decimal | None = None
    indicative_price: Decimal | None = None

    def to_terms(self) -> PriceTerms:
        allowed = FIELDS_BY_KIND[self.kind]
        for name in ALL_PRICE_FIELDS - allowed:
            if getattr(self, name) is not None:
                raise Unprocessable(
                    f"{name} does not apply to {self.kind} price terms",
                    field=f"price_terms.{name}",
                )
        if self.kind == "fixed":
            return FixedPrice(_need(self.price, "price"))
        if self.kind == "subscription":
            return SubscriptionPrice(
                _need(self.price_per_period, "price_per_period"), _need(self.period, "period")
            )
        if self.kind == "metered":
            return MeteredPrice(
                _need(self.unit, "unit"), _need(self.unit_price, "unit_price"), self.monthly_maximum
            )
        return NegotiablePrice(self.indicative_price)


FIELDS_BY_KIND: dict[str, frozenset[str]] = {
    "fixed": frozenset({"price"}),
    "subscription": frozenset({"price_per_period", "period"}),
    "metered": frozenset({"unit", "unit_price", "monthly_maximum"}),
    "negotiable": frozenset({"indicative_price"}),
}
ALL_PRICE_FIELDS = frozenset().union(*FIELDS_BY_KIND.values())


def _need(value: T | None, name: str) -> T:
    if value is None:
        raise Unprocessable(
            f"{name} is required for these price terms", field=f"price_terms.{name}"
        )
    return value


class ListingCreate(_In):
    """List a registered product on a venue."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"venue_code": "BJIDE", "price_terms": {"kind": "fixed", "price": "50000.00"}}
            ]
        }
    )

    venue_code: str = Field(min_length=1, max_length=20)
    reference: str | None = Field(
        default=None, max_length=100, description="the venue's own reference, if issued"
    )
    price_terms: PriceTermsIn


class ListingTermsChange(_In):
    price_terms: PriceTermsIn


class VenueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    name_en: str
    fee_rate: Decimal


class SearchItem(BaseModel):
    """One thing on offer: a data product on a venue, or a rental offering."""

    kind: Literal["data_product", "rental_offering"]
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
    headline_price: MoneyOut | None
    currency: Literal["CNY"] = "CNY"
    published_at: datetime


class SearchPage(BaseModel):
    items: list[SearchItem]
    next_cursor: str | None
