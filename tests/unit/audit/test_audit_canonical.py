"""Canonical JSON (RFC 8785): the fast path gives exactly the bytes of the reference
implementation, on the RFC's own test vectors and on generated documents."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_contracts.canonical import (
    CanonicalizationError,
    _fast,
    canonical_json,
    canonical_json_reference,
)

# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
NUMBER_VECTORS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    return float(struct.unpack(">d", bytes.fromhex(bits))[0])


@pytest.mark.parametrize(("bits", "expected"), NUMBER_VECTORS)
def test_numbers_follow_ecmascript(bits: str, expected: str) -> None:
    value = _double(bits)
    assert canonical_json(value) == expected.encode()
    assert canonical_json({"n": value}) == b'{"n":' + expected.encode() + b"}"
    assert canonical_json([1, value]) == b"[1," + expected.encode() + b"]"


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(CanonicalizationError):
        canonical_json({"n": _double(bits)})


def test_rfc_sample_with_numbers_strings_and_literals() -> None:
    # RFC 8785 section 3.2.2
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(source)) == expected.encode()


def test_rfc_sample_key_order_is_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: U+1F600 (a surrogate pair) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    out = canonical_json(value).decode()
    keys = list(json.loads(out))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert out.startswith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')


def test_integers_beyond_the_safe_range_are_refused() -> None:
    assert canonical_json({"n": 2**53 - 1}) == b'{"n":9007199254740991}'
    with pytest.raises(CanonicalizationError):
        canonical_json({"n": 2**53})


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(CanonicalizationError):
        canonical_json({"s": "\ud800"})


def test_typical_event_takes_the_fast_path() -> None:
    event = {
        "attributes": {"aggseq": 3, "id": "0190", "time": "2026-11-30T12:00:00.000000Z"},
        "data": {"name": "电力负荷曲线 公司", "amount": "123.45", "roles": ["customer"], "x": None},
    }
    assert _fast(event) is not None
    assert canonical_json(event) == canonical_json_reference(event)


def test_strings_that_look_like_numbers_stay_correct() -> None:
    value = {"a": "ratio:1.5,[2e3", "b": [1, 2, 3]}
    assert canonical_json(value) == canonical_json_reference(value)


_text = st.text(st.characters(codec="utf-8"), max_size=12)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_fast_path_equals_the_reference_on_generated_documents(value: object) -> None:
    assert canonical_json(value) == canonical_json_reference(value)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_round_trips(value: float) -> None:
    text = canonical_json(value).decode()
    assert float(text) == value or (value == 0 and math.copysign(1, value) < 0)


def test_what_json_cannot_key_is_refused_as_the_reference_does() -> None:
    with pytest.raises(CanonicalizationError):
        canonical_json({1: "a"})
    with pytest.raises(CanonicalizationError):
        canonical_json({"a": {True: 1}})


def test_only_plain_json_types_take_the_fast_path() -> None:
    class Text(str):
        pass

    assert _fast({"a": [1, (2, 3)], "b": True, "c": None}) == b'{"a":[1,[2,3]],"b":true,"c":null}'
    assert _fast({"a": 1.0}) is None
    assert _fast({"a": 2**53}) is None
    assert _fast({"\U0001f600": 1}) is None  # an astral key sorts by UTF-16 code units
    assert _fast({"k": "\U0001f600"}) is not None  # in a value it is written as it is
    assert _fast({"a": Text("x")}) is None
    assert canonical_json({"a": Text("x")}) == b'{"a":"x"}'


def test_a_record_value_is_hashed_as_it_was_received() -> None:
    import uuid
    from datetime import UTC, datetime

    from datapark_contracts.canonical import chain_hash, chain_hash_of_json
    from datapark_contracts.envelope import Envelope

    env = Envelope(
        id=uuid.uuid4(),
        source="/datapark/catalog",
        type="datapark.catalog.participant.updated.v1",
        subject="p1",
        time=datetime(2026, 3, 1, tzinfo=UTC),
        data={"name": "甘肃数据", "b": [1, {"z": None, "a": True}], "amount": "12.30"},
        aggseq=1,
        prevhash="0" * 64,
    ).sealed()
    attributes = env.hashed_attributes()
    assert env.value() == canonical_json(env.data)
    assert chain_hash_of_json(env.prevhash, attributes, env.value()) == env.eventhash
    reordered = json.dumps(env.data, ensure_ascii=False, separators=(",", ":")).encode()
    assert reordered != env.value()
    assert chain_hash_of_json(env.prevhash, attributes, reordered) != env.eventhash
    assert chain_hash(env.prevhash, attributes, json.loads(reordered)) == env.eventhash
    parsed = Envelope.from_kafka(env.key, reordered, env.headers())  # older records still read
    assert parsed.eventhash == env.eventhash
