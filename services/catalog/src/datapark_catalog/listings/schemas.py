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
from datapark_catalog.terms.schemas import Money, MoneyOut, amount_of
from datapark_contracts.events.catalog_listings import MeteredUnit, SubscriptionPeriod
from datapark_kit.errors import Unprocessable
from datapark_kit.schemas import RequestModel

T = TypeVar("T")


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PriceTermsIn(_In):
    """Fixed (``price``), subscription (``price_per_period`` + ``period``), metered
    (``unit`` + ``unit_price``, optional ``monthly_maximum``) or negotiable (optional
    ``indicative_price``). Amounts are Money objects (``{"amount": "600.00", "currency":
    "CNY"}``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "fixed", "price": {"amount": "50000.00", "currency": "CNY"}},
                {
                    "kind": "metered",
                    "unit": "call",
                    "unit_price": {"amount": "0.05", "currency": "CNY"},
                    "monthly_maximum": {"amount": "3000.00", "currency": "CNY"},
                },
            ]
        }
    )

    kind: Literal["fixed", "subscription", "metered", "negotiable"]
    price: Money | None = None
    price_per_period: Money | None = None
    period: SubscriptionPeriod | None = None
    unit: MeteredUnit | None = None
    unit_price: Money | None = None
    monthly_maximum: Money | None = None
    indicative_price: Money | None = None

    def to_terms(self) -> PriceTerms:
        allowed = FIELDS_BY_KIND[self.kind]
        for name in ALL_PRICE_FIELDS - allowed:
            if getattr(self, name) is not None:
                raise Unprocessable(
                    f"{name} does not apply to {self.kind} price terms",
                    field=f"price_terms.{name}",
                )
        if self.kind == "fixed":
            return FixedPrice(_need(self.price, "price").amount)
        if self.kind == "subscription":
            return SubscriptionPrice(
                _need(self.price_per_period, "price_per_period").amount,
                _need(self.period, "period"),
            )
        if self.kind == "metered":
            return MeteredPrice(
                _need(self.unit, "unit"),
                _need(self.unit_price, "unit_price").amount,
                amount_of(self.monthly_maximum),
            )
        return NegotiablePrice(amount_of(self.indicative_price))


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
                {
                    "venue_code": "BJIDE",
                    "price_terms": {
                        "kind": "fixed",
                        "price": {"amount": "50000.00", "currency": "CNY"},
                    },
                }
            ]
        }
    )

    venue_code: str = Field(min_length=1, max_length=20)
    reference: str | None = Field(
        default=None, max_length=100, description="the venue's own reference, if issued"
    )
    price_terms: PriceTermsIn


class ListingTermsChange(_In):
    """New price terms for one venue listing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "price_terms": {
                        "kind": "subscription",
                        "price_per_period": {"amount": "4000.00", "currency": "CNY"},
                        "period": "month",
                    }
                }
            ]
        }
    )

    price_terms: PriceTermsIn


class VenueOut(BaseModel):
    """An exchange products are listed on; ``fee_rate`` is its fee on each trade."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "BJIDE",
                    "name": "北京国际大数据交易所",
                    "name_en": "Beijing International Data Exchange",
                    "fee_rate": "0.03",
                }
            ]
        },
    )

    code: str
    name: str
    name_en: str
    fee_rate: Decimal


class VenuePage(BaseModel):
    """The venues, in one page (there are a handful; ``next_cursor`` is always null)."""

    items: list[VenueOut]
    next_cursor: str | None = None


class SearchItem(BaseModel):
    """One thing on offer: a data product on a venue, or a rental offering."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["data_product", "rental_offering"]
    id: uuid.UUID
    product_id: uuid.UUID | None = None
    offering_id: uuid.UUID | None = None
    owner_participant_id: uuid.UUID
    title: str
    domain: str | None = None
    category: str | None = None
    venue_code: str | None = None
    reference: str | None = None
    price_kind: str
    headline_price: MoneyOut | None = None
    published_at: datetime


class SearchPage(BaseModel):
    """A page of what is on offer, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "kind": "data_product",
                            "id": "0193a5e2-7c41-7d7a-9a51-3f1c2b7e9d01",
                            "product_id": "0193a5e2-6b10-7f3e-8c2d-1a2b3c4d5e6f",
                            "owner_participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
                            "title": "Stamping press vibration telemetry 2025",
                            "domain": "industrial_manufacturing",
                            "venue_code": "BJIDE",
                            "reference": "BJIDE-20261130-000042",
                            "price_kind": "fixed",
                            "headline_price": {"amount": "50000.00", "currency": "CNY"},
                            "published_at": "2026-11-30T09:15:00Z",
                        }
                    ]
                }
            ]
        }
    )

    items: list[SearchItem]
    next_cursor: str | None = None
