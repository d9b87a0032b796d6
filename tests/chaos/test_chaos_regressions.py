"""Regressions of what the chaos run found, each proven here without the chaos stack:

- a Postgres fast shutdown turned writes into 500s, and so did a deadlock between racing
  bookings; the database being unreachable, or rolling the transaction back, is a 503 with
  ``Retry-After`` (the client retries with its Idempotency-Key);
- after a Kafka ``kill -9`` the relay resent rows the broker had stored but not acknowledged,
  and ``datapark-audit verify`` called the relay's own checkpoint over the resent copies a
  violation ("records deleted or replaced");
- during a Postgres fast shutdown consumers dead-lettered the events in hand (asyncpg's own
  ``CannotConnectNowError`` was not taken for an outage): projections lost them for good;
- the auditor, reading a dead letter before its original, skipped the original and reported
  the aggregate's chain broken;
- the drain read every consumer group's lag as 0 whatever it was (a fresh client's metadata
  named no partition), so the checks ran while trading's group was still rebalancing after
  its stalled member came back, and trading's participants "differed" from catalog's: the
  lag is now the committed records past each group's committed offset, on the real Kafka.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from asyncpg.exceptions import (
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    DeadlockDetectedError,
    UniqueViolationError,
)
from chaos.chaos_check import closed_quietly, consumer_lag
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from support.eventing_schema import delete_topics
from support.helpers import KAFKA
from support.kafka_records import Rec

from datapark_audit.settings import DEV_CHECKPOINT_JWKS
from datapark_audit.verify import Verifier
from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import ConsumerGroup, Topic
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.consumer import is_transient
from datapark_eventing.topics import ensure_topics
from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM
from datapark_kit.problems import LastResortMiddleware, install_problem_handlers

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(LastResortMiddleware)

    @app.post("/v1/things")
    async def fail() -> None:
        raise error

    return app


def _wrapped(driver: Exception, sqlstate: str) -> Exception:
    driver.sqlstate = sqlstate  # type: ignore[attr-defined]
    wrapped = sa_exc.DBAPIError("INSERT INTO rental.unit_reservations", {}, driver)
    wrapped.__cause__ = driver
    return wrapped


def _shutting_down() -> Exception:
    return _wrapped(CannotConnectNowError("the database system is shutting down"), "57P03")


@pytest.mark.parametrize(
    "error",
    [
        _shutting_down(),
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 54339)"),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"),
        sa_exc.DBAPIError("SELECT 1", {}, OSError("connection reset"), connection_invalidated=True),
        # twelve bookings racing for one robot: inserts checking the exclusion constraint
        # against each other's uncommitted rows; Postgres rolled one back (a 500 before)
        _wrapped(DeadlockDetectedError("deadlock detected"), "40P01"),
    ],
    ids=["shutting-down", "refused", "pool-timeout", "connection-invalidated", "deadlock"],
)
async def test_an_unreachable_database_is_a_503_with_retry_after(error: Exception) -> None:
    transport = httpx.ASGITransport(app=_app(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.post("/v1/things", json={})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["code"] == "unavailable"


async def test_any_other_error_is_still_a_500_that_reveals_nothing() -> None:
    transport = httpx.ASGITransport(app=_app(sa_exc.IntegrityError("INSERT", {}, ValueError())))
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        answer = await client.post("/v1/things", json={})
    assert answer.status_code == 500
    assert "Retry-After" not in answer.headers
    assert "INSERT" not in answer.text


def _chain(count: int) -> list[Envelope]:
    pid, out, prev = uuid.uuid4(), [], GENESIS_HASH
    for n in range(count):
        data = ParticipantRegistered(
            participant_id=pid,
            name=f"Chaos Robotics {n}",
            uscc=None,
            kind="company",
            region_code="110105",
            roles=("participant",),
            park_member=True,
            status="active",
            occurred_at=T0,
        ).to_data()
        env = Envelope(
            id=uuid.uuid4(),
            source="/datapark/catalog",
            type="datapark.catalog.participant.registered.v1",
            subject=str(pid),
            time=T0 + timedelta(seconds=n),
            data=data,
            aggseq=n + 1,
            prevhash=prev,
        ).sealed()
        prev = env.eventhash
        out.append(env)
    return out


def test_a_checkpoint_over_the_relays_resent_copies_verifies() -> None:
    # the broker stored offsets 0 and 1 but died before acknowledging them; the relay sent the
    # rows again after the restart (offsets 2 and 3) and its checkpoint vouches for those
    events = _chain(2)
    log = [
        Rec("t", 0, offset, e.key, e.value(), e.headers())
        for offset, e in enumerate([*events, *events])
    ]
    checkpointer = Checkpointer(
        service="catalog",
        signing_key_pem=DEV_CHECKPOINT_PRIVATE_KEY_PEM,
        key_id=DEV_CHECKPOINT_KEY_ID,
        topic="a",
    )
    for offset, event in zip((2, 3), events, strict=True):
        checkpointer.record("t", 0, offset, event)
    checkpoint = checkpointer.build()
    verifier = Verifier(jwks=DEV_CHECKPOINT_JWKS)
    verifier.feed([*log, Rec("a", 0, 0, checkpoint.key, checkpoint.value(), checkpoint.headers())])
    result = verifier.finish()
    assert result.violations == []
    assert result.duplicates == 2
    assert result.covered_records == 2  # the copies; the unacknowledged originals by none


def test_a_dead_letter_read_before_its_original_leaves_the_chain_whole() -> None:
    # a consumer dead-lettered the first event of an aggregate; the auditor read the DLQ
    # partition first and skipped the original as a "copy": the chain seemed to start at 2
    events = _chain(2)
    first = events[0]
    dead = Rec(
        "trading.worker.dlq",
        0,
        0,
        first.key,
        first.value(),
        [
            *first.headers(),
            ("dlq_reason", b"handler_failed"),
            ("dlq_consumer_group", b"trading.worker"),
            ("dlq_original_topic", b"t"),
            ("dlq_original_partition", b"0"),
            ("dlq_original_offset", b"0"),
        ],
    )
    log = [Rec("t", 0, offset, e.key, e.value(), e.headers()) for offset, e in enumerate(events)]
    verifier = Verifier(jwks=DEV_CHECKPOINT_JWKS)
    verifier.feed([dead, *log])
    result = verifier.finish()
    assert [v.check for v in result.violations] == []
    assert result.events == 2


@pytest.mark.parametrize(
    "error",
    [
        CannotConnectNowError("the database system is shutting down"),
        ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        sa_exc.OperationalError("SELECT 1", {}, OSError("refused")),
    ],
    ids=["shutting-down", "connection-closed", "wrapped"],
)
def test_a_database_outage_is_transient_for_consumers_not_a_dead_letter(error: Exception) -> None:
    # a Postgres fast shutdown sent projection events to the DLQ (the driver's own error was
    # not recognised): trading never saw a product drafted, its listing never became tradable
    assert is_transient(error)


def test_a_real_handler_failure_still_goes_to_the_dlq() -> None:
    assert not is_transient(UniqueViolationError("duplicate key"))
    assert not is_transient(ValueError("no such participant"))


@pytest.fixture
async def relayed_topic(kafka_topics: str) -> AsyncIterator[str]:
    """A two-partition scratch topic written as a relay writes: 5 records in one transaction on
    partition 0, 3 in another on partition 1 (each ends with a commit marker)."""
    topic = f"test.chaos.lag.{uuid.uuid4().hex[:8]}"
    await ensure_topics(KAFKA, [Topic(topic, 2, "test", "id", "test")])
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, transactional_id=f"test-chaos-lag-{uuid.uuid4().hex[:8]}"
    )
    await producer.start()
    try:
        for partition, count in ((0, 5), (1, 3)):
            async with producer.transaction():
                for n in range(count):
                    await producer.send(topic, f"{partition}-{n}".encode(), partition=partition)
    finally:
        await producer.stop()
    try:
        yield topic
    finally:
        await delete_topics(topic)


async def _commit_after(group: str, topic: str, last: dict[int, int]) -> None:
    """Commit for ``group`` the offset after record number ``last[p]`` (0-based) of partition p,
    as the service consumer does: the offset after the last record it applied."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=KAFKA,
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in last]
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        offsets: dict[TopicPartition, list[int]] = {tp: [] for tp in tps}
        while any(len(offsets[tp]) <= last[tp.partition] for tp in tps):
            for tp, records in (await reader.getmany(timeout_ms=500)).items():
                offsets[tp] += [r.offset for r in records]
        await reader.commit({tp: offsets[tp][last[tp.partition]] + 1 for tp in tps})
    finally:
        await reader.stop()


@pytest.mark.integration
async def test_the_drain_sees_the_records_a_group_has_not_committed(relayed_topic: str) -> None:
    group = ConsumerGroup(f"test-chaos-lag-{uuid.uuid4().hex[:8]}", "test", (relayed_topic,))
    # nothing committed yet: every record is lag (the old reading: 0)
    assert await consumer_lag(KAFKA, groups=(group,)) == {group.group_id: 8}
    # two records of partition 0 applied, all of partition 1
    await _commit_after(group.group_id, relayed_topic, {0: 1, 1: 2})
    assert await consumer_lag(KAFKA, groups=(group,)) == {group.group_id: 3}
    # everything applied: drained, though each partition's commit marker lies past the
    # committed offset (end - committed would still say 1 a partition)
    await _commit_after(group.group_id, relayed_topic, {0: 4, 1: 2})
    assert await consumer_lag(KAFKA, groups=(group,)) == {group.group_id: 0}


async def test_a_client_stop_that_leaks_a_cancellation_does_not_end_the_monitor() -> None:
    """The monitor died mid-run when aiokafka's consumer stop let its fetcher's CancelledError
    out: ``closed_quietly`` absorbs that, and still lets a real cancellation of the task go."""

    async def leaking_stop() -> None:
        raise asyncio.CancelledError  # as the fetcher's cancelled task did, uncancelled caller

    await closed_quietly(leaking_stop())  # absorbed: this task was not cancelled

    started = asyncio.Event()

    async def sample() -> None:
        async def slow_stop() -> None:
            started.set()
            await asyncio.sleep(30)

        await closed_quietly(slow_stop())

    task = asyncio.create_task(sample())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
