"""The read path's fast parts give exactly what the slow, obvious code gives: the data decoded
by msgspec equals ``json.loads`` (values and errors), and the attributes' canonical JSON written
directly equals ``canonical_json`` of the attribute dict."""

from __future__ import annotations

import json
import pickle
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_contracts.canonical import (
    canonical_attributes,
    canonical_json_reference,
    chain_hash,
    chain_hash_of_canonical,
    chain_hash_of_json,
    loads_json,
)
from datapark_contracts.envelope import (
    Envelope,
    MalformedEvent,
    _uuid_of_canonical,
    event_hash,
    hashed_attributes_json,
)


def _same_as_stdlib(body: bytes) -> None:
    try:
        expected: Any = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        with pytest.raises(exc.__class__):
            loads_json(body)
        return
    got = loads_json(body)
    # repr tells int from float and 0.0 from -0.0; NaN equals itself only by repr
    assert repr(got) == repr(expected)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":1,"a":2}',
        b"-0",
        b"-0.0",
        b"0.1",
        b"1E2",
        b"1e400",  # beyond a double: the standard library gives inf, msgspec refuses
        b"NaN",
        b"-Infinity",
        b"123456789012345678901234567890",  # orjson gave a float here; msgspec an exact int
        b"-9223372036854775809",
        b"18446744073709551615",
        b'{"n":[1,2,99999999999999999999]}',
        b'{"s":"9999999999999999999"}',  # a long digit run in a string: decoded alike too
        b'"\\ud800"',  # a lone surrogate escape: the standard library accepts it
        b'"\\ud83d\\ude00"',
        b'{"\\u0000":1}',
        b"\xef\xbb\xbf{}",  # a BOM
        b"[1,]",
        b'"\x01"',
        b"\xff",  # not UTF-8
        b"",
        b" {} \n",
        '{"名称":"电力负荷曲线"}'.encode(),
        b"[" * 600 + b"]" * 600,  # deep nesting, decoded alike
        b"[" * 2000 + b"]" * 2000,
    ],
)
def test_loads_json_is_json_loads(body: bytes) -> None:
    _same_as_stdlib(body)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_loads_json_equals_json_loads_on_generated_documents(value: object) -> None:
    _same_as_stdlib(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


_attribute_text = st.text(max_size=40)


def _hashed_attributes(
    time: st.SearchStrategy[str] = _attribute_text,
    prevhash: st.SearchStrategy[str] = _attribute_text,
) -> st.SearchStrategy[dict[str, Any]]:
    """The keyword arguments of ``hashed_attributes_json``/``event_hash``: any texts, and an
    ``aggseq`` on both sides of the safe-integer bound."""
    return st.fixed_dictionaries(
        {
            "id": _attribute_text,
            "source": _attribute_text,
            "type": _attribute_text,
            "subject": _attribute_text,
            "time": time,
            "dataschema": _attribute_text,
            "prevhash": prevhash,
            "aggseq": st.integers(min_value=-(2**60), max_value=2**60),
        }
    )


@settings(max_examples=300, deadline=None)
@given(_hashed_attributes())
def test_attributes_written_directly_are_their_canonical_json(fields: dict[str, Any]) -> None:
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "datacontenttype": "application/json",
        **fields,
    }
    try:
        expected = canonical_json_reference(attributes)
    except Exception as exc:  # an unsafe integer or a lone surrogate: refused alike
        with pytest.raises(exc.__class__):
            hashed_attributes_json(**fields)
        with pytest.raises(exc.__class__):
            canonical_attributes(attributes)
        return
    assert hashed_attributes_json(**fields) == expected
    assert canonical_attributes(attributes) == expected


def _envelope(data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        source="/datapark/catalog",
        type="datapark.catalog.participant.registered.v1",
        subject=str(uuid.uuid4()),
        time=datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
        data=data,
        aggseq=3,
        prevhash="ab" * 32,
    ).sealed()


def test_the_chain_hash_of_the_received_bytes_is_the_chain_hash() -> None:
    env = _envelope({"名称": "电力负荷曲线", "n": 2**53 - 1, "tab": 'a\tb"c\\'})
    assert chain_hash_of_json(env.prevhash, env.hashed_attributes(), env.value()) == env.eventhash
    assert env.eventhash == chain_hash(env.prevhash, env.hashed_attributes(), env.data)
    assert Envelope.from_kafka(env.key, env.value(), env.headers()) == env


@settings(max_examples=400, deadline=None)
@given(
    _hashed_attributes(
        time=_attribute_text | st.just("2026-11-30T13:00:00.000000Z"),
        prevhash=_attribute_text | st.just("ab" * 32),
    ),
    st.binary(max_size=40),
)
def test_the_readers_event_hash_is_the_chain_hash(fields: dict[str, Any], value: bytes) -> None:
    """envelope.event_hash (one piece, for plain attributes) equals the general path."""
    try:
        attributes_json = hashed_attributes_json(**fields)
        expected = chain_hash_of_canonical(fields["prevhash"], attributes_json, value)
    except Exception as exc:  # an unsafe integer, a lone surrogate, a non-ASCII prevhash
        with pytest.raises(exc.__class__):
            event_hash(**fields, value=value)
        return
    assert event_hash(**fields, value=value) == expected


def test_a_time_in_another_offset_is_hashed_in_the_form_the_platform_writes() -> None:
    env = _envelope({"名称": "电力负荷曲线"})
    shifted = env.time.astimezone(timezone(timedelta(hours=8))).isoformat()
    headers = [(n, shifted.encode() if n == "ce_time" else v) for n, v in env.headers()]
    assert Envelope.from_kafka(env.key, env.value(), headers) == env


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"[" * 5000 + b"]" * 5000, "value is not JSON"),  # deeper than any decoder goes
        (b"[1]", "must be a JSON object"),
        (b"", "value is not JSON"),
    ],
)
def test_from_kafka_refuses_what_is_not_an_event_as_malformed(value: bytes, error: str) -> None:
    env = _envelope({})
    with pytest.raises(MalformedEvent, match=error):
        Envelope.from_kafka(env.key, value, env.headers())
    headers = [(n, b"x" * 70 if n == "ce_prevhash" else v) for n, v in env.headers()]
    with pytest.raises(MalformedEvent, match="eventhash"):
        Envelope.from_kafka(env.key, env.value(), headers)


@settings(max_examples=300, deadline=None)
@given(st.uuids())
def test_an_event_id_read_from_its_canonical_text_is_uuid_of_that_text(value: uuid.UUID) -> None:
    """from_kafka builds the id of a canonical ce_id without ``UUID.__init__``: the same UUID
    in every respect a reader can see (value, text, hash, order, version, pickling)."""
    text = str(value)
    fast = _uuid_of_canonical(text)
    assert type(fast) is uuid.UUID
    assert fast == value
    assert hash(fast) == hash(value)
    assert str(fast) == text
    assert fast.version == value.version
    assert fast.is_safe == value.is_safe
    assert not fast < value
    assert not fast > value
    assert pickle.loads(pickle.dumps(fast)) == value
