"""Money in catalog's responses: a Decimal (a column, a computed figure) or a stored amount
becomes the ``{"amount", "currency"}`` object; a negative figure only where it may be one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from datapark_catalog.terms.schemas import MoneyOut, SignedMoneyOut


class Figures(BaseModel):
    cost: MoneyOut
    surplus: SignedMoneyOut | None = None


def test_a_decimal_is_written_as_a_money_object_with_two_places() -> None:
    out = Figures(cost=Decimal("12.5"), surplus=Decimal("-3")).model_dump(mode="json")
    assert out == {
        "cost": {"amount": "12.50", "currency": "CNY"},
        "surplus": {"amount": "-3.00", "currency": "CNY"},
    }


def test_a_stored_amount_and_a_stored_object_read_the_same() -> None:
    assert Figures.model_validate({"cost": "35500.50"}) == Figures.model_validate(
        {"cost": {"amount": "35500.50", "currency": "CNY"}}
    )


def test_a_negative_figure_is_refused_where_money_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        Figures(cost=Decimal("-0.01"))


def test_the_documented_schema_is_the_money_object() -> None:
    schema = Figures.model_json_schema(mode="serialization")
    assert schema["properties"]["cost"] == {"$ref": "#/$defs/Money"}
    assert set(schema["$defs"]["SignedMoney"]["properties"]) == {"amount", "currency"}
