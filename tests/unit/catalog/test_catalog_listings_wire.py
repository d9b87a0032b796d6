"""Price terms as stored and published: the JSON form round-trips to the domain value and is
exactly what the catalog.listings.v1 contract accepts; request bodies map onto the forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter

from datapark_catalog.listings.pricing import (
    FixedPrice,
    MeteredPrice,
    NegotiablePrice,
    PriceTerms,
    SubscriptionPrice,
)
from datapark_catalog.listings.schemas import PriceTermsIn
from datapark_catalog.listings.wire import terms_from_wire, terms_to_wire
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
def test_wire_round_trip_and_contract(terms: PriceTerms) -> None:
    wire = terms_to_wire(terms)
    assert terms_from_wire(wire) == terms
    parsed = CONTRACT_TERMS.validate_python(wire)
    assert CONTRACT_TERMS.dump_python(parsed, mode="json") == wire


def test_money_on_the_wire_has_two_places() -> None:
    assert terms_to_wire(FixedPrice(D("5")))["price"] == {"amount": "5.00", "currency": "CNY"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "fixed", "price": "10"}, FixedPrice(D("10"))),
        (
            {"kind": "subscription", "price_per_period": "9.90", "period": "month"},
            SubscriptionPrice(D("9.90"), SubscriptionPeriod.MONTH),
        ),
        (
            {"kind": "metered", "unit": "record", "unit_price": "0.01"},
            MeteredPrice(MeteredUnit.RECORD, D("0.01")),
        ),
        ({"kind": "negotiable"}, NegotiablePrice()),
    ],
)
def test_request_bodies_map_onto_the_forms(body: dict[str, str], expected: PriceTerms) -> None:
    assert PriceTermsIn.model_validate(body).to_terms() == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "fixed"}, "price_terms.price"),
        ({"kind": "subscription", "price_per_period": "1"}, "price_terms.period"),
        ({"kind": "metered", "unit_price": "1"}, "price_terms.unit"),
        ({"kind": "fixed", "price": "1", "period": "month"}, "price_terms.period"),
        ({"kind": "negotiable", "price": "1"}, "price_terms.price"),
    ],
)
def test_incomplete_or_mixed_bodies_are_422(body: dict[str, str], field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        PriceTermsIn.model_validate(body).to_terms()
    assert caught.value.extra["errors"][0]["field"] == field
