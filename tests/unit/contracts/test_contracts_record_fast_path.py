"""The compiled parser of records (``datapark_contracts._record``) against ``from_kafka``'s
Python code: for any record, ``Envelope.from_kafka`` gives the same envelope (every field, of the
same type) or the same ``MalformedEvent`` as the Python code alone, and the compiled parser takes
every record as the platform writes it (the fast path is taken, not skipped)."""

from __future__ import annotations

import gc
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapark_contracts import envelope as envelope_module
from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope

Headers = list[tuple[str, bytes]]


def sealed(**changes: Any) -> Envelope:
    fields: dict[str, Any] = {
        "id": uuid.UUID("0195f3c2-7a4b-7c1d-8e2f-3a4b5c6d7e8f"),
        "source": "/datapark/rental",
        "type": "rental.lease.created",
        "subject": "6f1d2c3b-4a59-4e87-9d6c-5b4a39281706",
        "time": datetime(2026, 11, 30, 12, 34, 56, 789012, tzinfo=UTC),
        "data": {"lease_id": "L-1", "months": 36, "rate": "0.0425", "rows": [{"n": 1}], "x": None},
        "aggseq": 7,
        "prevhash": GENESIS_HASH,
    }
    fields.update(changes)
    return Envelope(**fields).sealed()


def record(env: Envelope) -> tuple[bytes | None, bytes | None, Headers]:
    return env.key, env.value(), env.headers()


@contextmanager
def python_only() -> Iterator[None]:
    compiled = envelope_module._parse_plain
    envelope_module._parse_plain = None
    try:
        yield
    finally:
        envelope_module._parse_plain = compiled


def outcome(key: Any, value: Any, headers: Any) -> tuple[str, Any]:
    try:
        env = Envelope.from_kafka(key, value, headers)
    except Exception as exc:  # MalformedEvent, or what the Python code lets out of a non-record
        return "raised", (type(exc), str(exc))
    return "envelope", (env, {name: (type(v), v) for name, v in vars(env).items()})


def assert_same(key: Any, value: Any, headers: Any) -> tuple[str, Any]:
    both = outcome(key, value, headers)
    with python_only():
        alone = outcome(key, value, headers)
    assert both == alone
    if both[0] == "envelope":
        env = both[1][0]
        assert type(env.id) is uuid.UUID
        assert env.id.is_safe is uuid.SafeUUID.unknown
        assert hash(env.id) == hash(alone[1][0].id)
        assert env.time.tzinfo is alone[1][0].time.tzinfo
    return both


def compiled() -> Callable[[Any, Any, Any], Envelope | None]:
    parse = envelope_module._parse_plain
    assert parse is not None, (
        "datapark_contracts._record was not built: uv sync builds it with the C compiler "
        "that `make deps` installs (scripts/ensure_cc.sh)"
    )
    return parse


def test_the_compiled_parser_is_built_and_in_use() -> None:
    parse = compiled()
    key, value, headers = record(sealed())
    assert isinstance(parse(key, value, headers), Envelope)


ENVELOPES = {
    "lease": sealed(),
    "no trace context": sealed(traceparent=None, tracestate=None),
    "trace context": sealed(
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tracestate="k=v"
    ),
    "large aggseq": sealed(aggseq=999_999_999_999_999),
    "first of its chain": sealed(aggseq=1),
    "time at a second": sealed(time=datetime(2026, 1, 1, tzinfo=UTC)),
    "leap day": sealed(time=datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
    "own schema": sealed(dataschema="https://datapark.example/schemas/x.json"),
    "empty data": sealed(data={}),
    "unicode data": sealed(
        data={"title": "电力负荷曲线", "emoji": "🤖", "big": 2**53 - 1, "f": 1.5}
    ),
}


@pytest.mark.parametrize("name", list(ENVELOPES))
def test_records_the_platform_writes_take_the_compiled_path(name: str) -> None:
    env = ENVELOPES[name]
    key, value, headers = record(env)
    parsed = compiled()(key, value, headers)
    assert parsed is not None
    assert parsed == env
    assert vars(parsed) == vars(env)
    assert assert_same(key, value, headers)[0] == "envelope"
    # headers as aiokafka hands them (a tuple) and a key-less record
    assert compiled()(None, value, tuple(headers)) == env


def replaced(headers: Headers, name: str, raw: Any) -> Headers:
    return [(n, raw if n == name else v) for n, v in headers]


def without(headers: Headers, name: str) -> Headers:
    return [(n, v) for n, v in headers if n != name]


BASE = record(sealed())
KEY, VALUE, HEADERS = BASE

# (what, key, value, headers): records the compiled parser must leave to the Python code,
# which parses some (other spellings it accepts) and refuses the rest
EDGES: list[tuple[str, Any, Any, Any]] = [
    (
        "upper-case id",
        KEY,
        VALUE,
        replaced(HEADERS, "ce_id", b"0195F3C2-7A4B-7C1D-8E2F-3A4B5C6D7E8F"),
    ),
    (
        "id without dashes",
        KEY,
        VALUE,
        replaced(HEADERS, "ce_id", b"0195f3c27a4b7c1d8e2f3a4b5c6d7e8f"),
    ),
    (
        "id in braces",
        KEY,
        VALUE,
        replaced(HEADERS, "ce_id", b"{0195f3c2-7a4b-7c1d-8e2f-3a4b5c6d7e8f}"),
    ),
    ("id not hex", KEY, VALUE, replaced(HEADERS, "ce_id", b"0195f3c2-7a4b-7c1d-8e2f-3a4b5c6d7e8g")),
    (
        "time with an offset",
        KEY,
        VALUE,
        replaced(HEADERS, "ce_time", b"2026-11-30T12:34:56.789012+00:00"),
    ),
    ("time without micros", KEY, VALUE, replaced(HEADERS, "ce_time", b"2026-11-30T12:34:56Z")),
    (
        "time at +08:00",
        KEY,
        VALUE,
        replaced(HEADERS, "ce_time", b"2026-11-30T20:34:56.789012+08:00"),
    ),
    ("30 February", KEY, VALUE, replaced(HEADERS, "ce_time", b"2026-02-30T12:34:56.789012Z")),
    ("hour 24", KEY, VALUE, replaced(HEADERS, "ce_time", b"2026-11-30T24:34:56.789012Z")),
    ("month 13", KEY, VALUE, replaced(HEADERS, "ce_time", b"2026-13-30T12:34:56.789012Z")),
    ("no offset", KEY, VALUE, replaced(HEADERS, "ce_time", b"2026-11-30T12:34:56.789012")),
    ("aggseq 007", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"007")),
    ("aggseq -0", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"-0")),
    ("aggseq +7", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"+7")),
    ("aggseq with a space", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b" 7")),
    ("aggseq 7_0", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"7_0")),
    ("aggseq unsafe", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"9007199254740993")),
    ("aggseq text", KEY, VALUE, replaced(HEADERS, "ce_aggseq", b"seven")),
    ("no id", KEY, VALUE, without(HEADERS, "ce_id")),
    ("no eventhash", KEY, VALUE, without(HEADERS, "ce_eventhash")),
    ("no dataschema", KEY, VALUE, without(HEADERS, "ce_dataschema")),
    ("empty subject", KEY, VALUE, replaced(HEADERS, "ce_subject", b"")),
    ("specversion 0.3", KEY, VALUE, replaced(HEADERS, "ce_specversion", b"0.3")),
    ("a header without a value", KEY, VALUE, replaced(HEADERS, "ce_dataschema", None)),
    ("a header not UTF-8", KEY, VALUE, replaced(HEADERS, "content-type", b"\xff")),
    ("a source not ASCII", KEY, VALUE, replaced(HEADERS, "ce_source", "/数据园".encode())),
    ("a quote in the type", KEY, VALUE, replaced(HEADERS, "ce_type", b'rental."x"')),
    ("a backslash in the type", KEY, VALUE, replaced(HEADERS, "ce_type", b"rental\\x")),
    ("a tab in the source", KEY, VALUE, replaced(HEADERS, "ce_source", b"/datapark\trental")),
    ("a traceparent not ASCII", KEY, VALUE, [*HEADERS, ("traceparent", "é".encode())]),
    (
        "an id given twice",
        KEY,
        VALUE,
        [*HEADERS, ("ce_id", b"0195f3c2-7a4b-7c1d-8e2f-3a4b5c6d7e80")],
    ),
    ("a header name in bytes", KEY, VALUE, [(n.encode(), v) for n, v in HEADERS]),
    ("header triples", KEY, VALUE, [(n, v, b"") for n, v in HEADERS]),
    ("headers as a dict", KEY, VALUE, dict(HEADERS)),
    ("no headers", KEY, VALUE, []),
    ("another key", b"someone-else", VALUE, HEADERS),
    ("a key that is not UTF-8", b"\xff", VALUE, HEADERS),
    ("no value", KEY, None, HEADERS),
    ("a value that is not JSON", KEY, b"{not json", HEADERS),
    ("a JSON array", KEY, b"[1, 2]", HEADERS),
    ("a value not canonical", KEY, b'{ "x" : 1 }', HEADERS),
    ("a value with NaN", KEY, b'{"x": NaN}', HEADERS),
    ("a value as bytearray", KEY, bytearray(VALUE), HEADERS),
    ("another value", KEY, VALUE.replace(b"36", b"37"), HEADERS),
    ("another prevhash", KEY, VALUE, replaced(HEADERS, "ce_prevhash", b"f" * 64)),
    ("a wrong eventhash", KEY, VALUE, replaced(HEADERS, "ce_eventhash", b"0" * 64)),
]


@pytest.mark.parametrize(("what", "key", "value", "headers"), EDGES, ids=[e[0] for e in EDGES])
def test_any_other_record_gets_what_the_python_code_gives_it(
    what: str, key: Any, value: Any, headers: Any
) -> None:
    assert compiled()(key, value, headers) is None  # left to the Python code
    assert_same(key, value, headers)


def test_a_value_re_serialised_by_the_python_code_is_parsed_by_it() -> None:
    """A hash over the canonical form of data sent in another spelling: the compiled parser
    leaves it (its hash is over the bytes received) and the Python code accepts it."""
    env = sealed()
    key, _, headers = record(env)
    kind, _ = assert_same(
        key, b'{"x":null, "rows":[{"n":1}],"rate":"0.0425","months":36,"lease_id":"L-1"}', headers
    )
    assert kind == "envelope"


def test_headers_given_as_an_iterator_are_left_to_the_python_code() -> None:
    """Not used up by the compiled parser before the Python code reads them."""
    assert compiled()(KEY, VALUE, iter(HEADERS)) is None
    assert Envelope.from_kafka(KEY, VALUE, iter(HEADERS)) == sealed()


def test_an_envelope_subclass_is_built_by_the_python_code() -> None:
    class Traced(Envelope):
        pass

    key, value, headers = record(sealed())
    assert type(Traced.from_kafka(key, value, headers)) is Traced


PRINTABLE = st.binary(max_size=40)
NAMES = st.sampled_from([n for n, _ in HEADERS] + ["traceparent", "tracestate", "x-other"])


@settings(max_examples=400, deadline=None)
@given(
    changes=st.lists(st.tuples(NAMES, PRINTABLE), max_size=3),
    dropped=st.sets(NAMES, max_size=2),
    value=st.one_of(st.just(VALUE), st.binary(max_size=60)),
    key=st.one_of(st.just(KEY), st.none(), st.binary(max_size=8)),
)
def test_mutated_records_get_what_the_python_code_gives_them(
    changes: list[tuple[str, bytes]], dropped: set[str], value: bytes, key: bytes | None
) -> None:
    headers = [(n, v) for n, v in HEADERS if n not in dropped] + changes
    assert_same(key, value, headers)


@settings(max_examples=200, deadline=None)
@given(
    aggseq=st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    moment=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    text=st.text(max_size=20),
)
def test_generated_events_parse_to_what_the_python_code_gives(
    aggseq: int, moment: datetime, text: str
) -> None:
    env = sealed(aggseq=aggseq, time=moment, data={"t": text}, subject=f"s-{aggseq}")
    key, value, headers = record(env)
    kind, _ = assert_same(key, value, headers)
    assert kind == "envelope"


def test_parsing_holds_no_references() -> None:
    """Every object the compiled parser makes is freed with the envelope, whether it builds
    one or leaves the record to the Python code (a reference leaked a record would keep every
    lease's data of a replay alive)."""
    key, value, headers = record(sealed())
    wrong = replaced(HEADERS, "ce_eventhash", b"0" * 64)
    parse = compiled()

    def rounds(count: int) -> None:
        for _ in range(count):
            parse(key, value, headers)
            parse(key, b"{not json", headers)
            parse(key, value, wrong)
            parse(key, value, replaced(HEADERS, "ce_time", b"2026-02-30T12:34:56.789012Z"))

    rounds(1000)  # warm: interned names, free lists
    gc.collect()
    tracemalloc.start()
    try:
        rounds(100)
        gc.collect()
        settled, _ = tracemalloc.get_traced_memory()
        rounds(20_000)
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 80,000 parses: a leaked object of any kind in any of them would grow this by megabytes
    assert current - settled < 64 * 1024
