"""The envelope, the hash chain, UUIDv7 and the schema compatibility check."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from datapark_contracts.canonical import GENESIS_HASH, canonical_json
from datapark_contracts.envelope import Envelope, MalformedEvent
from datapark_contracts.ids import uuid7, uuid7_time_ms
from datapark_contracts.schemas import check, current_schemas, incompatibilities
from datapark_contracts.verify import verify_chain


def _envelope(seq: int = 1, prev: str = GENESIS_HASH, data: dict | None = None) -> Envelope:
    return Envelope(
        id=uuid7(),
        source="/datapark/catalog",
        type="datapark.catalog.participant.updated.v1",
        subject="agg-1",
        time=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        data=data or {"name": "甘肃数据公司", "n": seq},
        aggseq=seq,
        prevhash=prev,
    ).sealed()


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 2000
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert abs(uuid7_time_ms(ids[-1]) - now_ms) < 5_000


def test_canonical_json_sorts_keys_and_has_no_spaces() -> None:
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )


def test_envelope_roundtrips_through_kafka_headers() -> None:
    env = _envelope()
    parsed = Envelope.from_kafka(env.key, env.value(), env.headers())
    assert parsed == env
    assert parsed.hash_is_valid()


def test_cloudevents_sdk_reads_the_binary_record() -> None:
    env = _envelope()
    event = from_binary_event(
        KafkaMessage(headers=dict(env.headers()), key=env.key, value=env.value())
    )
    assert event.get_id() == str(env.id)
    assert event.get_type() == env.type
    assert event.get_subject() == "agg-1"
    assert event.get_extension("aggseq") == "1"
    assert event.get_data() == env.data


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: [x for x in h if x[0] != "ce_type"],
        lambda h: [(k, b"2" if k == "ce_aggseq" else v) for k, v in h],
        lambda h: [(k, b"0.9" if k == "ce_specversion" else v) for k, v in h],
    ],
)
def test_malformed_or_tampered_headers_are_refused(mutate) -> None:
    env = _envelope()
    with pytest.raises(MalformedEvent):
        Envelope.from_kafka(env.key, env.value(), mutate(env.headers()))


def test_tampered_data_breaks_the_hash() -> None:
    env = _envelope()
    with pytest.raises(MalformedEvent, match="eventhash"):
        Envelope.from_kafka(env.key, b'{"name":"x","n":1}', env.headers())
    with pytest.raises(MalformedEvent, match="JSON"):
        Envelope.from_kafka(env.key, b"not json", env.headers())


def test_chain_verification_finds_gaps_and_broken_links() -> None:
    first = _envelope(1)
    second = _envelope(2, first.eventhash)
    third = _envelope(3, second.eventhash)
    assert verify_chain([first, second, third]) == []
    assert verify_chain([first, third])  # gap
    forged = replace(second, data={"name": "forged", "n": 2}).sealed()
    assert any("prevhash" in p for p in verify_chain([first, forged, third]))


def test_committed_schemas_are_current_and_compatible() -> None:
    assert check() == []


def test_compatibility_check_catches_breaking_changes() -> None:
    name, schema = next(iter(current_schemas().items()))
    prop = next(iter(schema["properties"]))
    removed = copy.deepcopy(schema)
    del removed["properties"][prop]
    assert any("removed" in p for p in incompatibilities(schema, removed))
    retyped = copy.deepcopy(schema)
    retyped["properties"][prop] = {"type": "integer"}
    retyped["required"] = [*schema.get("required", []), "brand_new"]
    retyped["properties"]["brand_new"] = {"type": "string"}
    found = incompatibilities(schema, retyped)
    assert any("new required" in p for p in found), (name, found)
