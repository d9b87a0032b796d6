"""Terms survive the trip to the wire and back; listings map to trade states and order prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_trading.agreements.codec import terms_from_json, terms_to_json
from datapark_trading.listings.pricing import default_duration, order_pricing
from datapark_trading.listings.states import effective_state
from datapark_trading.terms.agreement import Terms
from datapark_trading.terms.money import Money
from datapark_trading.terms.policy import DelistingClause, ListingState
from datapark_trading.terms.pricing import FixedPrice, Metered, MeterUnit, Subscription

AT = datetime(2026, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    "pricing",
    [
        FixedPrice(Money(Decimal("1999.90"))),
        Subscription(Money(Decimal("300.00")), period_months=3, periods=4),
        Metered(MeterUnit.CALL, Decimal("0.005"), Money(Decimal("50.00")), Decimal("20.00")),
        Metered(MeterUnit.MEGABYTE, Decimal("1.2"), Money(Decimal("10.00"))),
    ],
)
def test_terms_round_trip_through_json(make_terms, pricing) -> None:
    terms: Terms = make_terms(
        pricing=pricing,
        max_calls=1000,
        on_delisting=DelistingClause.SUSPEND,
        territory=frozenset({"CN-BJ", "CN-TJ"}),
    )
    stored = terms_to_json(terms)
    assert terms_from_json(stored) == terms
    assert stored["policy"]["territory"] == ["CN-BJ", "CN-TJ"]
    assert stored["policy"]["onward_transfer"] is False


def test_a_metered_unit_price_keeps_its_places_on_the_wire(make_terms) -> None:
    pricing = Metered(MeterUnit.CALL, Decimal("0.005"), Money(Decimal("5.00")))
    assert terms_to_json(make_terms(pricing=pricing))["pricing"]["unit_price"] == "0.005"


@pytest.mark.parametrize(
    ("product", "listing", "state"),
    [
        ("listed", "listed", ListingState.LISTED),
        ("listed", "suspended", ListingState.SUSPENDED),
        ("suspended", "listed", ListingState.SUSPENDED),
        ("listed", "delisted", ListingState.DELISTED),
        ("delisted", "delisted", ListingState.DELISTED),
        ("retired", "listed", ListingState.DELISTED),
        ("suspended", "delisted", ListingState.DELISTED),
    ],
)
def test_effective_listing_state(product: str, listing: str, state: ListingState) -> None:
    assert effective_state(product, listing) is state


def test_order_prices_follow_the_listing() -> None:
    money = {"amount": "120.00", "currency": "CNY"}
    assert order_pricing({"kind": "fixed", "price": money}, periods=None, budget=None) == (
        FixedPrice(Money(Decimal("120.00")))
    )
    sub = order_pricing(
        {"kind": "subscription", "price_per_period": money, "period": "quarter"},
        periods=2,
        budget=None,
    )
    assert sub == Subscription(Money(Decimal("120.00")), period_months=3, periods=2)
    assert sub.lock_amount().amount == Decimal("240.00")
    metered = order_pricing(
        {
            "kind": "metered",
            "unit": "mb",
            "unit_price": {"amount": "0.80", "currency": "CNY"},
            "monthly_maximum": {"amount": "500.00", "currency": "CNY"},
        },
        periods=None,
        budget=Decimal("1000.00"),
    )
    assert metered == Metered(
        MeterUnit.MEGABYTE, Decimal("0.80"), Money(Decimal("1000.00")), Decimal("500.00")
    )


def test_metered_orders_name_a_budget_and_negotiable_listings_take_no_orders() -> None:
    metered = {"kind": "metered", "unit": "call", "unit_price": {"amount": "0.10"}}
    with pytest.raises(Unprocessable) as budget:
        order_pricing(metered, periods=None, budget=None)
    assert budget.value.extra["errors"][0]["field"] == "budget"
    with pytest.raises(Unprocessable) as rfq:
        order_pricing({"kind": "negotiable"}, periods=None, budget=None)
    assert rfq.value.code == "negotiation_required"


def test_default_duration() -> None:
    sub = Subscription(Money(Decimal("1.00")), period_months=1, periods=2)
    assert default_duration(sub, AT) == datetime(2026, 3, 31, tzinfo=UTC) - AT
    assert default_duration(FixedPrice(Money(Decimal("1.00"))), AT) == timedelta(days=365)
