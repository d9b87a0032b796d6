"""The strict CloudEvents check ``verify`` runs on every record, beside the official SDK.

What the strict check accepts the SDK reads, to the same attributes (so the SDK reading only
a sample loses nothing); what it refuses is a CloudEvents 1.0 / Kafka-binding violation, each
named; every record the platform writes passes both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.audit_log import participant

from datapark_audit.cloudevent import NotACloudEvent, parse_time, read_binary
from datapark_audit.settings import DEV_CHECKPOINT_JWKS
from datapark_audit.verify import Verifier
from datapark_contracts.envelope import Envelope

Headers = Sequence[tuple[str, Any]]


def _envelope(**changes: Any) -> Envelope:
    pid = uuid.UUID(changes.pop("subject", str(uuid.uuid4())))
    registered = participant(
        pid,
        name="电力负荷曲线数据公司",
        region="620102",
        occurred_at=datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
    )
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "source": "/datapark/catalog",
        "type": registered.event_type,
        "subject": str(pid),
        "time": datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
        "data": registered.to_data(),
        "aggseq": 1,
        "prevhash": "0" * 64,
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    return Envelope(**{**fields, **changes}).sealed()


def _sdk(headers: Headers, key: bytes | None, value: bytes) -> Any:
    return from_binary_event(KafkaMessage(headers=dict(headers), key=key, value=value))


def _replace(headers: Headers, name: str, raw: Any) -> list[tuple[str, Any]]:
    return [(n, raw if n == name else v) for n, v in headers]


def _without(headers: Headers, name: str) -> list[tuple[str, Any]]:
    return [(n, v) for n, v in headers if n != name]


def test_what_the_platform_writes_passes_both_alike() -> None:
    env = _envelope()
    headers, key, value = env.headers(), env.key, env.value()
    event = read_binary(headers, key)
    theirs = _sdk(headers, key, value)
    event_id, source, specversion, event_type, content_type, dataschema, subject, time = (
        event.values[:8]
    )
    assert (event_id, source, event_type, subject) == (
        theirs.get_id(),
        theirs.get_source(),
        theirs.get_type(),
        theirs.get_subject(),
    )
    assert (specversion, content_type, dataschema) == (
        theirs.get_specversion(),
        theirs.get_datacontenttype(),
        theirs.get_dataschema(),
    )
    assert parse_time(time) == theirs.get_time() == env.time
    assert event.values[8:] == (str(env.aggseq), env.prevhash, env.eventhash)


BREAKS: list[tuple[str, Any, str]] = [
    # (what, how the headers change, a word of the reason)
    ("no id", lambda h: _without(h, "ce_id"), "missing required attributes: id"),
    ("no source", lambda h: _without(h, "ce_source"), "source"),
    ("no type", lambda h: _without(h, "ce_type"), "type"),
    ("no specversion", lambda h: _without(h, "ce_specversion"), "specversion"),
    ("empty id", lambda h: _replace(h, "ce_id", b""), "empty: id"),
    ("empty type", lambda h: _replace(h, "ce_type", b""), "empty: type"),
    ("empty subject", lambda h: _replace(h, "ce_subject", b""), "subject is empty"),
    ("empty dataschema", lambda h: _replace(h, "ce_dataschema", b""), "dataschema is empty"),
    ("empty content type", lambda h: _replace(h, "content-type", b""), "datacontenttype"),
    ("specversion 0.3", lambda h: _replace(h, "ce_specversion", b"0.3"), "specversion"),
    ("specversion 1.1", lambda h: _replace(h, "ce_specversion", b"1.1"), "specversion"),
    ("no such day", lambda h: _replace(h, "ce_time", b"2026-02-30T00:00:00Z"), "time"),
    ("no offset", lambda h: _replace(h, "ce_time", b"2026-11-30T12:00:00"), "time"),
    ("space for T", lambda h: _replace(h, "ce_time", b"2026-11-30 12:00:00Z"), "time"),
    ("leap second", lambda h: _replace(h, "ce_time", b"2026-12-31T23:59:60Z"), "time"),
    ("hour 24", lambda h: _replace(h, "ce_time", b"2026-11-30T24:00:00Z"), "time"),
    ("offset 24h", lambda h: _replace(h, "ce_time", b"2026-11-30T12:00:00+24:00"), "time"),
    ("basic format", lambda h: _replace(h, "ce_time", b"20261130T120000Z"), "time"),
    ("words", lambda h: _replace(h, "ce_time", b"yesterday"), "time"),
    ("empty time", lambda h: _replace(h, "ce_time", b""), "time"),
    ("subject not UTF-8", lambda h: _replace(h, "ce_subject", b"\xff\xfe"), "not UTF-8"),
    ("trace not UTF-8", lambda h: _replace(h, "traceparent", b"\xc3"), "not UTF-8"),
    ("null value", lambda h: _replace(h, "ce_aggseq", None), "has no value"),
    ("upper-case name", lambda h: [*_without(h, "ce_aggseq"), ("ce_Aggseq", b"1")], "lower"),
    ("upper-case prefix", lambda h: [*_without(h, "ce_id"), ("CE_id", b"x")], "lower"),
    ("dash in name", lambda h: [*h, ("ce_agg-seq", b"1")], "lower"),
    ("empty name", lambda h: [*h, ("ce_", b"1")], "lower"),
    ("reserved data", lambda h: [*h, ("ce_data", b"{}")], "reserved"),
    ("content type as ce_", lambda h: [*h, ("ce_datacontenttype", b"text/plain")], "binary"),
    ("Content-Type", lambda h: [*_without(h, "content-type"), ("Content-Type", b"x/y")], "must"),
    ("id twice", lambda h: [*h, ("ce_id", b"another")], "more than once"),
    ("newline in subject", lambda h: _replace(h, "ce_subject", b"a\nb"), "must not contain"),
    ("C1 control in type", lambda h: _replace(h, "ce_type", "a\x85b".encode()), "must not"),
    ("noncharacter", lambda h: _replace(h, "ce_eventhash", "\ufffe".encode()), "must not"),
    ("astral noncharacter", lambda h: _replace(h, "ce_id", "\U0010ffff".encode()), "must not"),
    ("NUL in id", lambda h: _replace(h, "ce_id", b"a\x00b"), "U+0000"),
    ("source with space", lambda h: _replace(h, "ce_source", b"/data park"), "URI-reference"),
    ("relative dataschema", lambda h: _replace(h, "ce_dataschema", b"/schemas/x"), "absolute"),
    ("schema fragment", lambda h: _replace(h, "ce_dataschema", b"https://x.example/s#f"), "URI"),
    (
        "structured mode",
        lambda h: _replace(h, "content-type", b"application/cloudevents+json"),
        "structured",
    ),
    ("not a media type", lambda h: _replace(h, "content-type", b"json"), "media type"),
]


@pytest.mark.parametrize(("what", "change", "reason"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_way_to_break_the_binding_is_refused_and_named(
    what: str, change: Any, reason: str
) -> None:
    env = _envelope()
    headers = change(env.headers())
    with pytest.raises(NotACloudEvent) as refused:
        read_binary(headers, env.key)
    assert reason in str(refused.value), what


def test_a_key_that_is_not_utf8_is_refused_as_the_sdk_refuses_it() -> None:
    env = _envelope()
    with pytest.raises(UnicodeDecodeError):
        _sdk(env.headers(), b"\xff", env.value())
    with pytest.raises(NotACloudEvent, match="key is not UTF-8"):
        read_binary(env.headers(), b"\xff")


def test_the_sdk_refuses_nothing_the_strict_check_accepts_and_reads_it_alike() -> None:
    """Each break above: where the SDK refuses the record, the strict check refuses it too."""
    env = _envelope()
    refused_by_sdk = 0
    for _, change, _ in BREAKS:
        headers = change(env.headers())
        try:
            _sdk(headers, env.key, env.value())
        except Exception:
            refused_by_sdk += 1
            with pytest.raises(NotACloudEvent):
                read_binary(headers, env.key)
    assert refused_by_sdk >= 15  # the SDK's own checks are exercised, not only ours


_name = st.sampled_from(
    ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject",
     "ce_dataschema", "content-type", "ce_aggseq", "ce_prevhash", "ce_eventhash", "traceparent",
     "ce_partitionkey", "ce_x1", "ce_Ab", "ce_data", "CE_ID"]
)  # fmt: skip
_value = st.one_of(
    st.binary(max_size=12),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"",
            b"1.0",
            b"0.3",
            b"2026-11-30T12:00:00Z",
            b"2026-11-30t12:00:00.5+08:00",
            b"2026-11-30T12:00:00.1234567-23:59",
            b"2026-13-01T00:00:00Z",
            b"https://datapark.example/s.json",
            b"/datapark/catalog",
            b"application/json",
            b'text/plain; charset="utf-8"',
            b"a b",
        ]
    ),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(st.tuples(_name, st.one_of(st.none(), _value)), max_size=4),
    key=st.one_of(st.none(), st.binary(max_size=4)),
)
def test_whatever_the_strict_check_accepts_the_sdk_reads_alike(
    changes: list[tuple[str, bytes | None]], key: bytes | None
) -> None:
    env = _envelope()
    headers: list[tuple[str, Any]] = env.headers()
    for name, raw in changes:  # None drops the header, else sets (or adds) it
        headers = _without(headers, name)
        if raw is not None:
            headers.append((name, raw))
    try:
        event = read_binary(headers, key)
    except NotACloudEvent:
        return
    theirs = _sdk(headers, key, env.value())  # must not raise
    event_id, source, _, event_type, _, _, subject, time = event.values[:8]
    assert theirs.get_id() == event_id
    assert theirs.get_source() == source
    assert theirs.get_type() == event_type
    if "ce_subject" in dict(headers):
        assert theirs.get_subject() == subject
    if "ce_time" in dict(headers):
        assert theirs.get_time() == parse_time(time)


def _verify(records: Sequence[tuple[Headers, bytes | None, bytes]], **options: Any) -> Any:
    class Rec:
        def __init__(self, offset: int, headers: Headers, key: bytes | None, value: bytes):
            self.topic, self.partition, self.offset, self.timestamp = "t", 0, offset, 0
            self.headers, self.key = headers, key
            self.value: bytes | None = value

    verifier = Verifier(jwks=DEV_CHECKPOINT_JWKS, **options)
    verifier.feed([Rec(i, *record) for i, record in enumerate(records)])
    return verifier.finish()


def test_verify_names_the_break_and_gives_the_sdks_own_verdict() -> None:
    env = _envelope()
    bad_day = _replace(env.headers(), "ce_time", b"2026-02-30T00:00:00.000000Z")
    relative = _replace(env.headers(), "ce_dataschema", b"/schemas/x.json")
    result = _verify([(bad_day, env.key, env.value()), (relative, env.key, env.value())])
    first, second = result.violations
    assert (first.check, first.offset) == ("cloudevent", 0)
    assert "not a valid RFC 3339 date-time" in first.reason
    assert "the official SDK cannot read it either" in first.reason
    assert (second.check, second.offset) == ("cloudevent", 1)
    assert "not an absolute URI" in second.reason
    assert "the official SDK reads it nonetheless" in second.reason
    assert result.sdk_records == 2


def test_the_sdk_reads_the_first_record_of_each_type_or_every_record_when_asked() -> None:
    prev, records = "0" * 64, []
    subject = str(uuid.uuid4())
    for n in range(4):
        env = _envelope(subject=subject, aggseq=n + 1, prevhash=prev)
        prev = env.eventhash
        records.append((env.headers(), env.key, env.value()))
    sampled = _verify(records)
    assert sampled.violations == []
    assert sampled.sdk_records == 1
    every = _verify(records, sdk_every_record=True)
    assert every.violations == []
    assert every.sdk_records == 4
