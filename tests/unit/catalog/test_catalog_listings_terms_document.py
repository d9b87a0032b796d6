"""Price terms as stored and published: the JSON document round-trips to the domain value and is
exactly what the catalog.listings.v1 contract accepts; request bodies map onto the forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from datapark_catalog.listings.pricing import (
    FixedPrice,
    MeteredPrice,
    NegotiablePrice,
    PriceTerms,
    SubscriptionPrice,
    terms_document,
    terms_of_document,
)
from datapark_catalog.listings.schemas import PriceTermsIn
from datapark_contracts.events import catalog_listings as contract
from datapark_contracts.events.catalog_listings import MeteredUnit, SubscriptionPeriod
from datapark_kit.errors import Unprocessable

D = Decimal
CONTRACT_TERMS: TypeAdapter[object] = TypeAdapter(contract.PriceTerms)

FORMS: list[PriceTerms] = [
    FixedPrice(D("50000.00")),
    SubscriptionPrice(D("800.00"), SubscriptionPeriod.QUARTER),
    MeteredPrice(MeteredUnit.CALL, D("0.05"), D("3000.00")),
    MeteredPrice(MeteredUnit.MB, D("1.20")),
    NegotiablePrice(),
    NegotiablePrice(D("100000.00")),
]


@pytest.mark.parametrize("terms", FORMS)
def test_document_round_trip_and_contract(terms: PriceTerms) -> None:
    wire = terms_document(terms)
    assert terms_of_document(wire) == terms
    parsed = CONTRACT_TERMS.validate_python(wire)
    assert CONTRACT_TERMS.dump_python(parsed, mode="json") == wire


def test_money_on_the_wire_has_two_places() -> None:
    assert terms_document(FixedPrice(D("5")))["price"] == {"amount": "5.00", "currency": "CNY"}


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "fixed", "price": cny("10")}, FixedPrice(D("10"))),
        (
            {"kind": "subscription", "price_per_period": cny("9.90"), "period": "month"},
            SubscriptionPrice(D("9.90"), SubscriptionPeriod.MONTH),
        ),
        (
            {"kind": "metered", "unit": "record", "unit_price": cny("0.01")},
            MeteredPrice(MeteredUnit.RECORD, D("0.01")),
        ),
        ({"kind": "negotiable"}, NegotiablePrice()),
        ({"kind": "negotiable", "indicative_price": cny("5")}, NegotiablePrice(D("5"))),
    ],
)
def test_request_bodies_map_onto_the_forms(body: dict[str, Any], expected: PriceTerms) -> None:
    assert PriceTermsIn.model_validate(body).to_terms() == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "fixed"}, "price_terms.price"),
        ({"kind": "subscription", "price_per_period": cny("1")}, "price_terms.period"),
        ({"kind": "metered", "unit_price": cny("1")}, "price_terms.unit"),
        ({"kind": "fixed", "price": cny("1"), "period": "month"}, "price_terms.period"),
        ({"kind": "negotiable", "price": cny("1")}, "price_terms.price"),
    ],
)
def test_incomplete_or_mixed_bodies_are_422(body: dict[str, Any], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        PriceTermsIn.model_validate(body).to_terms()
    assert caught.value.extra["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "price",
    [
        "600.00",  # a bare decimal string: money is an object
        {"amount": 600, "currency": "CNY"},  # a JSON number
        {"amount": 600.5, "currency": "CNY"},
        {"amount": "600.001", "currency": "CNY"},  # a third place
        {"amount": "600.00", "currency": "USD"},  # the park trades in CNY
        {"amount": "600.00"},  # the currency says CNY when omitted: accepted below
    ],
)
def test_a_price_is_a_money_object(price: Any) -> None:
    if price == {"amount": "600.00"}:
        assert PriceTermsIn.model_validate({"kind": "fixed", "price": price}).to_terms() == (
            FixedPrice(D("600.00"))
        )
        return
    with pytest.raises(ValidationError) as caught:
        PriceTermsIn.model_validate({"kind": "fixed", "price": price})
    assert caught.value.errors()[0]["loc"][0] == "price"
