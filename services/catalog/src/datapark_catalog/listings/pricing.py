"""Venues (data, not code paths: a table seeded with the three below) and the price terms a
data product is listed with on them: the kinds of terms, their validation, headline price and
stored form. A listing's states are ``datapark_catalog.listings.states``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from datapark_catalog.terms.money import money_json, parse_money, parse_rate
from datapark_contracts.events.catalog_listings import (
    MeteredUnit,
    SubscriptionPeriod,
)
from datapark_kit.errors import Unprocessable

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


def terms_document(terms: PriceTerms) -> dict[str, Any]:
    """Price terms as stored and published: the form of the ``catalog.listings.v1`` contract
    and of the API's ``PriceTermsOut`` (money as ``{"amount", "currency"}``)."""
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


def _amount(value: dict[str, Any] | None) -> Decimal | None:
    return None if value is None else Decimal(value["amount"])


def terms_of_document(data: dict[str, Any]) -> PriceTerms:
    """The price terms a stored document holds (the inverse of ``terms_document``)."""
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


def validate_venue(venue: Venue) -> Venue:
    if not venue.code.strip() or not venue.code.isascii() or not venue.code.isupper():
        raise Unprocessable("a venue code is upper-case ASCII", field="code")
    if not venue.name.strip():
        raise Unprocessable("a venue needs a name", field="name")
    parse_rate(venue.fee_rate, "fee_rate")
    return venue
