"""The verifier on records held in memory (no Kafka): each rule, and the checkpoints."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import TopicPartition
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import ValidationError
from support.audit_log import participant
from support.kafka_records import Rec

from datapark_audit.reader import Window
from datapark_audit.settings import DEV_CHECKPOINT_JWKS
from datapark_audit.verify import Verifier
from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.audit import fold, ranges, signing_bytes
from datapark_eventing.checkpoints import Checkpointer, public_jwk
from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM
from datapark_trading.settings import TradingSettings

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def registered(pid: uuid.UUID, n: int = 0, **changes: Any) -> dict[str, Any]:
    data = participant(pid, name=f"甘肃数据 {n}", region="620102", occurred_at=T0).to_data()
    return {**data, **changes}


def chain(pid: uuid.UUID, count: int, event_type: str | None = None) -> list[Envelope]:
    out, prev = [], GENESIS_HASH
    for n in range(count):
        env = Envelope(
            id=uuid.uuid4(),
            source="/datapark/catalog",
            type=event_type or "datapark.catalog.participant.registered.v1",
            subject=str(pid),
            time=T0 + timedelta(seconds=n),
            data=registered(pid, n),
            aggseq=n + 1,
            prevhash=prev,
        ).sealed()
        prev = env.eventhash
        out.append(env)
    return out


def records(envelopes: list[Envelope], topic: str = "t", partition: int = 0) -> list[Rec]:
    return [
        Rec(topic, partition, i, e.key, e.value(), e.headers()) for i, e in enumerate(envelopes)
    ]


def verify(recs: list[Rec], **options: Any) -> Any:
    verifier = Verifier(jwks=DEV_CHECKPOINT_JWKS, **options)
    verifier.feed(recs)
    return verifier.finish()


def checks(result: Any) -> set[tuple[str, int | None]]:
    return {(v.check, v.offset) for v in result.violations}


def test_a_clean_chain_verifies() -> None:
    result = verify(records(chain(uuid.uuid4(), 4)))
    assert result.violations == []
    assert result.events == 4
    assert result.aggregates == 1


def test_each_record_rule_reports_its_offset() -> None:
    pid = uuid.uuid4()
    good = chain(pid, 3)
    recs = records(good)
    forged = replace(recs[1], value=recs[1].value.replace(b"620102", b"620103"))  # type: ignore[union-attr]
    assert checks(verify([recs[0], forged, recs[2]])) == {("eventhash", 1)}
    assert ("chain", 1) in checks(verify([recs[0], replace(recs[2], offset=1)]))
    swapped = checks(verify([recs[0], replace(recs[2], offset=1), replace(recs[1], offset=2)]))
    assert {("chain", 1), ("chain", 2)} <= swapped
    wrong_key = replace(recs[0], key=b"another")
    assert checks(verify([wrong_key])) == {("key", 0)}


def test_unknown_type_and_schema_break() -> None:
    pid = uuid.uuid4()
    unknown = chain(pid, 1, "datapark.catalog.participant.teleported.v1")
    assert checks(verify(records(unknown))) == {("type", 0)}
    broken = replace(chain(pid, 1)[0], data=registered(pid, region_code="62"), eventhash="")
    result = verify(records([broken.sealed()]))
    assert checks(result) == {("schema", 0)}
    assert "region_code" in result.violations[0].reason


def test_one_id_two_contents_but_redelivery_is_fine() -> None:
    env = chain(uuid.uuid4(), 1)[0]
    twin = replace(env, data={**env.data, "name": "other"}, eventhash="").sealed()
    again = records([env, env])
    assert verify(again).violations == []
    assert verify(again).duplicates == 1
    assert checks(verify(records([env, twin]))) == {("event_id", 1)}


def test_not_a_cloudevent() -> None:
    rec = Rec("t", 0, 0, b"k", b"{}", [("ce_id", b"1")])
    result = verify([rec])
    assert [v.check for v in result.violations] == ["cloudevent"]


def test_dead_letters_are_listed_not_violations() -> None:
    env = chain(uuid.uuid4(), 1)[0]
    dead = Rec(
        "x.worker.dlq", 0, 0, env.key, b"not json", [*env.headers(), ("dlq_reason", b"poison")]
    )
    result = verify([dead])
    assert result.violations == []
    assert result.dead_letters == 1
    assert any(n.check == "dead_letter" and "poison" in n.reason for n in result.notices)


def test_from_a_time_the_first_event_may_continue_a_chain() -> None:
    recs = records(chain(uuid.uuid4(), 3))[1:]
    assert checks(verify(recs)) == {("chain", 1)}
    assert verify(recs, from_genesis=False).violations == []


def test_injected_records_are_left_out_only_when_asked() -> None:
    env = chain(uuid.uuid4(), 2)[1]  # starts at aggseq 2: a violation if read
    rec = Rec("t", 0, 0, env.key, env.value(), [*env.headers(), ("datapark-test-injected", b"1")])
    assert verify([rec]).violations != []
    result = verify([rec], exclude_injected=True)
    assert result.violations == []
    assert result.skipped_injected == 1


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes, Any]] = []

    async def send(self, topic: str, value: bytes, key: bytes, headers: Any) -> Any:
        self.sent.append((topic, value, key, headers))
        future: Any = __import__("asyncio").get_running_loop().create_future()
        future.set_result(None)
        return future


def _checkpointed(
    envelopes: list[Envelope], key_pem: str = DEV_CHECKPOINT_PRIVATE_KEY_PEM
) -> tuple[list[Rec], Checkpointer]:
    cp = Checkpointer(
        service="catalog", signing_key_pem=key_pem, key_id=DEV_CHECKPOINT_KEY_ID, topic="a"
    )
    for i, env in enumerate(envelopes):
        cp.record("t", 0, i, env)
    envelope = cp.build()
    cp.committed(envelope)
    return [Rec("a", 0, 0, envelope.key, envelope.value(), envelope.headers())], cp


def _window(**ends: int) -> Window:
    window = Window()
    for name, end in ends.items():
        topic, partition = name.split("_")
        window.start[TopicPartition(topic, int(partition))] = 0
        window.end[TopicPartition(topic, int(partition))] = end
    return window


def test_checkpoints_vouch_for_exactly_what_is_there() -> None:
    envs = chain(uuid.uuid4(), 3) + chain(uuid.uuid4(), 2)
    cps, _ = _checkpointed(envs)
    data = records(envs)
    clean = verify(data + cps, window=_window(t_0=5, a_0=1), require_checkpoints=True)
    assert clean.violations == []
    assert clean.covered_records == 5
    # truncated tail: the last two records are gone
    tail = verify(data[:3] + cps, window=_window(t_0=3, a_0=1))
    assert {v.check for v in tail.violations} == {"checkpoint_tail"}
    # reordered: two records of different aggregates swapped (their chains still link)
    swapped = [*data[:2], replace(data[3], offset=2), replace(data[2], offset=3), data[4]]
    result = verify(swapped + cps, window=_window(t_0=5, a_0=1))
    assert "checkpoint_hash" in {v.check for v in result.violations}
    assert not any(v.check == "chain" for v in result.violations)


def test_a_checkpoint_signed_by_another_key_is_forged() -> None:
    other = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    envs = chain(uuid.uuid4(), 2)
    cps, _ = _checkpointed(envs, other.decode())
    result = verify(records(envs) + cps, window=_window(t_0=2, a_0=1))
    assert [v.check for v in result.violations] == ["checkpoint_signature"]


def test_a_published_key_bound_to_a_service_signs_only_for_it() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    envs = chain(uuid.uuid4(), 1)
    cps, _ = _checkpointed(envs, pem)
    jwks = {"keys": [public_jwk(key, DEV_CHECKPOINT_KEY_ID, "trading")]}
    verifier = Verifier(jwks=jwks, window=_window(t_0=1, a_0=1))
    verifier.feed(records(envs) + cps)
    assert "belongs to trading" in verifier.finish().violations[0].reason


async def test_the_checkpointer_publishes_when_due_and_signs() -> None:
    cp = Checkpointer(
        service="rental",
        signing_key_pem=DEV_CHECKPOINT_PRIVATE_KEY_PEM,
        key_id=DEV_CHECKPOINT_KEY_ID,
        every_events=2,
        every_seconds=3600,
        topic="a",
    )
    producer = _Producer()
    envs = chain(uuid.uuid4(), 3)
    cp.record("t", 1, 7, envs[0])
    assert await cp.maybe_publish(producer) is None
    cp.record("t", 1, 8, envs[1])
    first = await cp.maybe_publish(producer)
    assert first is not None
    assert first.aggseq == 1
    assert first.prevhash == GENESIS_HASH
    segment = first.data["partitions"][0]
    assert segment["offsets"] == [[7, 8]]
    assert segment["running_hash"] == fold(
        fold(GENESIS_HASH, 7, envs[0].eventhash), 8, envs[1].eventhash
    )
    signature = first.data["signature"]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    jwk = DEV_CHECKPOINT_JWKS["keys"][0]
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "="))
    key.verify(raw, signing_bytes(first.data))
    cp.record("t", 1, 12, envs[2])
    second = await cp.maybe_publish(producer, force=True)
    assert second is not None
    assert second.aggseq == 2
    assert second.prevhash == first.eventhash
    assert second.data["term_events"] == 3
    assert len(producer.sent) == 2


def test_offset_ranges() -> None:
    assert ranges([3, 4, 5, 9, 11, 12]) == ((3, 5), (9, 9), (11, 12))
    assert ranges([]) == ()


def test_production_refuses_the_development_checkpoint_key() -> None:
    with pytest.raises(ValidationError) as raised:
        TradingSettings(
            environment="production",
            database_url="postgresql+asyncpg://t:secret@db/x",
            jwks_url="https://catalog.park/.well-known/jwks.json",
        )
    assert "checkpoint_signing_key_pem" in str(raised.value)


def test_the_fingerprint_names_exactly_the_records_read() -> None:
    recs = records(chain(uuid.uuid4(), 3))
    same = verify(recs).fingerprint
    assert verify(list(recs)).fingerprint == same
    altered = [recs[0], recs[1], replace(recs[2], headers=[*recs[2].headers[:-1]])]
    other = chain(uuid.uuid4(), 3)
    assert verify(records(other)).fingerprint != same
    assert verify(recs[:2]).fingerprint != same
    assert len(altered) == 3


class _Refusing(_Producer):
    async def send(self, topic: str, value: bytes, key: bytes, headers: Any) -> Any:
        raise OSError("audit topic missing")


async def test_a_checkpoint_that_cannot_be_sent_stays_pending_and_never_stops_the_relay() -> None:
    cp = Checkpointer(
        service="rental",
        signing_key_pem=DEV_CHECKPOINT_PRIVATE_KEY_PEM,
        key_id=DEV_CHECKPOINT_KEY_ID,
        every_events=1,
        topic="a",
    )
    envs = chain(uuid.uuid4(), 2)
    cp.record("t", 0, 0, envs[0])
    assert await cp.maybe_publish(_Refusing()) is None
    cp.record("t", 0, 1, envs[1])
    producer = _Producer()
    published = await cp.maybe_publish(producer)
    assert published is not None
    assert published.aggseq == 1
    assert published.data["events"] == 2
    assert published.data["partitions"][0]["offsets"] == [[0, 1]]


def test_log_wide_findings_stay_violations_after_a_dead_letter() -> None:
    envs = chain(uuid.uuid4(), 2)
    cps, _ = _checkpointed(envs)
    dead = Rec("x.dlq", 0, 0, b"k", b"junk", [("dlq_reason", b"poison")])
    result = verify(
        records(envs[:1]) + cps + [dead], window=_window(t_0=1, a_0=1, **{"x.dlq_0": 1})
    )
    assert "checkpoint_tail" in {v.check for v in result.violations}
