"""Input classes the schema fuzzer turned into 500s, refused as 422 at the right depth:
NUL characters (kit middleware), non-ASCII cursors (kit pagination), amounts too large for
the money columns (each service's money rule)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from datapark_catalog.terms.money import parse_money
from datapark_kit.errors import Unprocessable
from datapark_kit.guards import nul_in_body, nul_in_form, nul_in_json
from datapark_kit.pagination import decode_cursor, encode_cursor
from datapark_rental.terms.money import MAX_AMOUNT, require_money


def test_nul_is_found_in_json_strings_keys_and_lists_with_its_path() -> None:
    assert nul_in_json({"a": {"b": ["ok", "x\x00"]}}) == "a.b.1"
    assert nul_in_json({"specs": {"k\x00": 1}}) == "specs.'k\\x00'"
    assert nul_in_json("\x00") == "body"
    assert nul_in_json({"a": "fine", "b": [1, 2.5, None, True]}) is None


def test_nul_in_a_body_is_found_only_where_it_really_is() -> None:
    assert nul_in_body("application/json", b'{"name": "a\\u0000b"}') == "name"
    # An escaped backslash followed by "u0000" is ordinary text, not a NUL.
    assert nul_in_body("application/json", b'{"name": "a\\\\u0000b"}') is None
    assert nul_in_body("application/json; charset=utf-8", b"{}") is None
    assert nul_in_body("application/x-www-form-urlencoded", b"client_id=a%00b&x=1") == "client_id"
    assert nul_in_body("text/plain", b"a\x00b") is None
    assert nul_in_form(b"q=hello+world&limit=5") is None
    assert nul_in_form(b"limit=5&cursor=%00") == "cursor"


def test_a_cursor_outside_base64_is_a_422_not_a_crash() -> None:
    for bad in ("Ä", "ó\x19", encode_cursor("a\x00b")):
        with pytest.raises(Unprocessable):
            decode_cursor(bad)
    assert decode_cursor(encode_cursor("0190-id")) == "0190-id"


def test_an_amount_too_large_for_the_money_columns_is_a_422() -> None:
    for huge in (Decimal("1.4473977474016632E+180"), MAX_AMOUNT + Decimal("0.01")):
        with pytest.raises(Unprocessable) as refused:
            require_money(huge, "amount", positive=True)
        assert "at most" in refused.value.detail
    assert require_money(MAX_AMOUNT, "amount") == MAX_AMOUNT
    with pytest.raises(Unprocessable):
        parse_money(Decimal("3.8191057650514826e+62"), "price")
    assert parse_money(Decimal("9999999999999999.99"), "price") == Decimal("9999999999999999.99")
