"""A booking's amounts on the wire: the response model holds the row's ``Decimal`` (no Money
model per field, issue #14) and still writes and documents every amount as the Money object."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import JsonSchemaMode

from datapark_rental.bookings.schemas import BookingOut, QuoteLineOut
from datapark_rental.terms.schemas import AmountOut, MoneyOut


class _Held(BaseModel):
    amount: AmountOut


class _Built(BaseModel):
    amount: MoneyOut


def test_an_amount_is_held_as_the_decimal_and_written_as_a_money_object() -> None:
    line = QuoteLineOut(unit="day", quantity=2, unit_price="1200.00", amount=Decimal("2400"))

    assert line.amount == Decimal("2400")
    assert json.loads(line.model_dump_json())["unit_price"] == {
        "amount": "1200.00",
        "currency": "CNY",
    }
    assert line.model_dump(mode="json")["amount"] == {"amount": "2400.00", "currency": "CNY"}
    held = _Held(amount=Decimal("0.005"))  # rounded to the fen half-up, as MoneyOut did
    assert held.model_dump(mode="json") == _Built(amount=Decimal("0.005")).model_dump(mode="json")
    assert held.model_dump(mode="json")["amount"] == {"amount": "0.01", "currency": "CNY"}


@pytest.mark.parametrize(
    "value",
    [Decimal("-1.00"), Decimal("NaN"), Decimal("Infinity"), "1.234", "１２", "1E2", 12, 12.5, None],
)
def test_what_is_no_amount_is_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        _Held.model_validate({"amount": value})


def test_from_json_a_number_is_refused_and_the_money_object_taken() -> None:
    assert _Held.model_validate_json('{"amount": {"amount": "7.50"}}').amount == Decimal("7.50")
    for body in ('{"amount": 7.5}', '{"amount": 7}', '{"amount": {"amount": 7.5}}'):
        with pytest.raises(ValidationError):
            _Held.model_validate_json(body)


def test_the_schema_is_the_money_object_as_with_money_out() -> None:
    modes: tuple[JsonSchemaMode, ...] = ("validation", "serialization")
    for mode in modes:
        held = TypeAdapter(_Held).json_schema(mode=mode) | {"title": "_"}
        built = TypeAdapter(_Built).json_schema(mode=mode) | {"title": "_"}
        assert held == built
        assert held["properties"]["amount"] == {"$ref": "#/$defs/Money"}
    booking = BookingOut.model_json_schema(mode="serialization")
    assert booking["properties"]["balance_due"] == {"$ref": "#/$defs/Money"}
