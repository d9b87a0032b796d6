"""The trading API's terms and measured durations speak the HTTP vocabulary (issue #13), while
the events keep their versioned shape: a metered unit price is Money on the wire of the API and
a bare decimal beside ``currency`` in the events, with every place kept both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from datapark_contracts.events import trading as wire
from datapark_trading.terms.schemas import TERMS_EXAMPLE, Terms
from datapark_trading.webhooks.models import WebhookAttemptRow
from datapark_trading.webhooks.schemas import AttemptOut

METERED: dict[str, Any] = {
    **TERMS_EXAMPLE,
    "pricing": {
        "kind": "metered",
        "unit": "call",
        "unit_price": {"amount": "0.0035", "currency": "CNY"},
        "budget": {"amount": "500.00", "currency": "CNY"},
    },
}


def test_a_metered_unit_price_is_money_in_the_api_and_a_decimal_in_the_event() -> None:
    terms = Terms.model_validate(METERED)
    event = terms.to_wire()
    assert isinstance(event.pricing, wire.MeteredTerms)
    assert event.pricing.unit_price == Decimal("0.0035")
    assert event.pricing.currency == "CNY"
    assert event.model_dump(mode="json")["pricing"]["unit_price"] == "0.0035"
    shown = Terms.of_wire(event.model_dump(mode="json")).model_dump(mode="json")
    assert shown["pricing"]["unit_price"] == {"amount": "0.0035", "currency": "CNY"}
    assert shown == Terms.model_validate(METERED).model_dump(mode="json")


def test_fixed_terms_pass_through_unchanged() -> None:
    terms = Terms.model_validate(TERMS_EXAMPLE)
    assert terms.to_wire() == wire.Terms.model_validate(TERMS_EXAMPLE)
    assert Terms.of_wire(terms.to_wire()) == terms


@pytest.mark.parametrize(
    ("unit_price", "where"),
    [
        (0.0035, "unit_price"),  # a JSON number
        ("0.0035", "unit_price"),  # the events' bare string
        ({"amount": "-0.01", "currency": "CNY"}, "amount"),
        ({"amount": "0.01", "currency": "USD"}, "currency"),
        ({"amount": "1E-3", "currency": "CNY"}, "amount"),
    ],
)
def test_a_unit_price_that_is_not_money_is_refused_naming_the_field(
    unit_price: Any, where: str
) -> None:
    body = {**METERED, "pricing": {**METERED["pricing"], "unit_price": unit_price}}
    with pytest.raises(ValidationError) as refused:
        Terms.model_validate(body)
    assert any(where in map(str, error["loc"]) for error in refused.value.errors())


def test_an_unknown_pricing_kind_is_refused() -> None:
    body = {**TERMS_EXAMPLE, "pricing": {"kind": "barter", "price": {"amount": "1.00"}}}
    with pytest.raises(ValidationError):
        Terms.model_validate(body)


@pytest.mark.parametrize(("ms", "seconds"), [(183, "0.183"), (0, "0.000"), (12045, "12.045")])
def test_an_attempt_shows_its_duration_in_seconds_to_the_millisecond(ms: int, seconds: str) -> None:
    row = WebhookAttemptRow(
        delivery_id=uuid.uuid4(),
        attempt=1,
        at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
        status_code=200,
        error=None,
        duration_ms=ms,
    )
    shown = AttemptOut.of(row).model_dump(mode="json")
    assert shown["duration_seconds"] == seconds
    assert "duration_ms" not in shown
