"""Strict input, unit by unit: the money and decimal patterns (contracts), the request base
class (unknown fields, decimals in any nesting), bounded dates, control characters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from datapark_contracts.money import Money, Rate, SignedAmount
from datapark_kit.guards import control_in_body, control_in_form, control_in_json
from datapark_kit.schemas import BoundedDate, BoundedInstant, RequestModel


class Inner(RequestModel):
    rate: Decimal


class Body(RequestModel):
    amount: Decimal | None = None
    series: list[Decimal] | None = Field(default=None, max_length=5)
    inner: Inner | None = None
    on: BoundedDate | None = None
    at: BoundedInstant | None = None


LENIENT = ["1E2", "1_000.00", " 1.00 ", "１２", "١٢", "12.", ".5", "+1", "0x1", "1\n", "NaN"]


@pytest.mark.parametrize("text", LENIENT)
def test_money_refuses_every_lenient_spelling(text: str) -> None:
    with pytest.raises(ValidationError):
        Money(amount=text)


@pytest.mark.parametrize("number", [12, 12.5, True])
def test_money_refuses_json_numbers(number: Any) -> None:
    with pytest.raises(ValidationError):
        Money(amount=number)


def test_money_takes_ascii_decimals_and_python_decimals() -> None:
    assert Money(amount="12").amount == Decimal("12.00")
    assert Money(amount="0.5").amount == Decimal("0.50")
    assert Money(amount=Decimal("3")).amount == Decimal("3.00")
    with pytest.raises(ValidationError):
        Money(amount="1.001")


def test_signed_amounts_and_rates_are_strict_too() -> None:
    class Row(BaseModel):
        signed: SignedAmount
        rate: Rate

    assert Row(signed="-1.50", rate="0.035").signed == Decimal("-1.50")
    for bad in ({"signed": "-1e1", "rate": "0.1"}, {"signed": "1", "rate": 0.1}):
        with pytest.raises(ValidationError):
            Row.model_validate(bad)
    assert Row(signed="1", rate=Decimal("1E-7")).model_dump_json().endswith('"0.0000001"}')


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "1E2"},
        {"amount": 5},
        {"series": ["1", "２"]},
        {"inner": {"rate": " 0.1"}},
        {"unknown": 1},
        {"inner": {"rate": "0.1", "extra": True}},
    ],
)
def test_a_request_model_refuses_lenient_decimals_and_unknown_fields(body: Any) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate(body)


def test_a_request_model_reads_plain_decimals_anywhere() -> None:
    body = Body.model_validate({"amount": "-1.5", "series": ["1", "2.25"], "inner": {"rate": "0"}})
    assert body.series == [Decimal("1"), Decimal("2.25")]


@pytest.mark.parametrize(
    "body",
    [
        {"on": "9999-12-31"},
        {"on": "1900-01-01"},
        {"at": "9999-12-31T23:59:59Z"},
        {"at": "9999-12-31T23:00:00-05:00"},
        {"at": "0001-01-01T00:00:00+05:00"},
    ],
)
def test_dates_beyond_the_bounds_are_refused(body: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(body)
    assert "between 2000-01-01 and 2099-12-31" in str(refused.value)


def test_dates_within_the_bounds_are_kept() -> None:
    body = Body.model_validate({"on": "2099-12-31", "at": "2000-01-01T08:00:00+08:00"})
    assert body.on == date(2099, 12, 31)
    assert isinstance(body.at, datetime)


def test_control_characters_are_found_but_line_breaks_and_tabs_are_not() -> None:
    assert control_in_json({"name": "a\x1bb"}) == "name"
    assert control_in_json({"list": ["ok", "\x07"]}) == "list.1"
    assert control_in_json({"text": "line\nnext\ttab\r\n"}) is None
    assert control_in_json({"c1": "\x9b31m"}) == "c1"
    assert control_in_body("application/json", b'{"name": "a\\u001bb"}') == "name"
    assert control_in_body("application/json", b'{"name": "a\x7f"}') == "name"
    assert control_in_body("application/json", '{"name": "中文 ok"}'.encode()) is None
    assert control_in_form(b"client_id=a%1Bb") == "client_id"
    assert control_in_form(b"q=%E4%B8%AD") is None
