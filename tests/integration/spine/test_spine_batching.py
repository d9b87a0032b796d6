"""The fast paths keep their guarantees (#14): the relay never loses a wake-up, and a consumer
that applies a batch of records per transaction keeps per-aggregate order, inbox
deduplication and the DLQ (a poison record goes there alone; the good records of its batch
are applied). No timing thresholds: the relay polls once an hour here, so only the NOTIFY can
have woken it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select, text
from support.eventing_schema import participant_registered, running
from support.helpers import KAFKA, eventually

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import CATALOG_PARTICIPANTS, Topic
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.outbox import Outbox
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.replay import replay
from datapark_eventing.topics import ensure_topics
from datapark_kit.db import Database

pytestmark = pytest.mark.integration


def _registered(pid: uuid.UUID, n: int) -> ParticipantRegistered:
    return participant_registered(pid, f"Batch Test {n}")


class _NotifiedMidBatch(OutboxRelay):
    """A relay that, inside its first batch, lets another transaction commit an event and
    waits until that commit's NOTIFY has reached it before the batch ends."""

    def __init__(self, *, during: Callable[[], Awaitable[None]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.during: Callable[[], Awaitable[None]] | None = during
        self.notified = asyncio.Event()
        self.batches: list[int] = []

    def _on_notify(self, *args: Any) -> None:
        super()._on_notify(*args)
        self.notified.set()

    async def publish_batch(self, conn: asyncpg.Connection, producer: Any) -> int:
        sent = await super().publish_batch(conn, producer)
        self.batches.append(sent)
        if self.during is not None:
            during, self.during = self.during, None
            self.notified.clear()
            await during()
            await self.notified.wait()
        return sent


async def test_relay_notify_during_a_batch_is_not_lost(spine_schema) -> None:
    database, tables, schema = spine_schema
    outbox = Outbox(tables, "spinetest")
    pid = uuid.uuid4()
    async with database.unit_of_work() as session:
        first = await outbox.append(session, _registered(pid, 0))
    appended: list[Envelope] = []

    async def commit_another() -> None:
        async with database.unit_of_work() as session:
            appended.append(await outbox.append(session, _registered(pid, 1)))

    relay = _NotifiedMidBatch(
        during=commit_another,
        service="spinetest",
        schema=schema,
        database_url=database.url,
        bootstrap=KAFKA,
        poll_seconds=3600.0,  # the poll can never be what wakes it in this test
    )

    async def unsent() -> bool:
        async with database.unit_of_work() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.sent_at.is_(None))
            )
        return left == 0

    async with running(relay.run()):
        await eventually(unsent, timeout=60)
    # Two batches: the row waiting at start, then the row committed mid-batch (woken by its
    # NOTIFY, since the poll is an hour away).
    assert relay.batches[:2] == [1, 1]

    async def on_kafka() -> list[Envelope] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [CATALOG_PARTICIPANTS])
            if r.envelope is not None and r.envelope.subject == str(pid)
        ]
        return found if len(found) >= 2 else None

    events = await eventually(on_kafka, timeout=60)
    assert [e.id for e in events] == [first.id, appended[0].id]
    assert [e.aggseq for e in events] == [1, 2]


def _event(pid: uuid.UUID, seq: int) -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        source="/datapark/test",
        type=ParticipantRegistered.event_type,
        subject=str(pid),
        time=datetime.now(UTC),
        data=_registered(pid, seq).to_data(),
        aggseq=seq,
        prevhash="0" * 64,
    ).sealed()


async def _scratch(group: str, partitions: int) -> str:
    topic = f"test.batch.{uuid.uuid4().hex[:8]}"
    await ensure_topics(
        KAFKA,
        [
            Topic(topic, partitions, "test", "id", "test"),
            Topic(f"{group}.dlq", 1, "test", "id", "test"),
        ],
    )
    return topic


async def _produce(topic: str, events: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA)
    await producer.start()
    try:
        for e in events:
            await producer.send(topic, e.value(), key=e.key, headers=e.headers())
        await producer.flush()
    finally:
        await producer.stop()


class _Applied:
    """A handler whose effect is a row in the test schema (so a rolled-back batch leaves
    nothing), refusing the events in ``poison`` with an error that is not transient."""

    def __init__(self, schema: str, poison: frozenset[uuid.UUID] = frozenset()) -> None:
        self.schema = schema
        self.poison = poison
        self.sessions: set[int] = set()

    async def __call__(self, session: Any, envelope: Envelope, payload: Any) -> None:
        if envelope.id in self.poison:
            raise ValueError("this record can never be applied")
        self.sessions.add(id(session))
        await session.execute(
            text(
                f'INSERT INTO "{self.schema}".applied (event_id, subject, aggseq) '
                "VALUES (:id, :subject, :aggseq)"
            ),
            {"id": envelope.id, "subject": envelope.subject, "aggseq": envelope.aggseq},
        )


async def _applied_table(database: Database, schema: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(
            text(
                f'CREATE TABLE IF NOT EXISTS "{schema}".applied (event_id uuid PRIMARY KEY, '
                "subject text NOT NULL, aggseq int NOT NULL, n bigserial)"
            )
        )


async def _applied(database: Database, schema: str, subjects: set[str]) -> list[Any]:
    async with database.unit_of_work() as session:
        rows = (
            await session.execute(
                text(f'SELECT event_id, subject, aggseq FROM "{schema}".applied ORDER BY n')
            )
        ).all()
    return [r for r in rows if r.subject in subjects]


async def _dead(topic: str) -> list[dict[str, bytes]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        await consumer.seek_to_beginning(tp)
        found: list[dict[str, bytes]] = []
        while await consumer.position(tp) < end:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(dict(r.headers) for r in records)
        return found
    finally:
        await consumer.stop()


async def test_batch_keeps_order_per_aggregate_and_applies_each_event_once(
    spine_schema,
) -> None:
    database, tables, schema = spine_schema
    await _applied_table(database, schema)
    group = f"test-batch-{uuid.uuid4().hex[:8]}"
    topic = await _scratch(group, 2)
    aggregates = [uuid.uuid4() for _ in range(4)]
    chains = {pid: [_event(pid, n) for n in range(1, 21)] for pid in aggregates}
    interleaved = [chains[pid][n] for n in range(20) for pid in aggregates]
    # A redelivered copy inside the stream, and an event the inbox already holds.
    copy = chains[aggregates[0]][4]
    already = chains[aggregates[1]][0]
    async with database.unit_of_work() as session:
        await session.execute(
            tables.inbox.insert().values(
                consumer=group,
                event_id=already.id,
                event_type=already.type,
                topic=topic,
                partition=0,
                offset=0,
            )
        )
    await _produce(topic, [*interleaved[:40], copy, *interleaved[40:]])
    handler = _Applied(schema)
    consumer = EventConsumer(
        group_id=group,
        topics=(topic,),
        bootstrap=KAFKA,
        database=database,
        inbox=tables.inbox,
        handlers={ParticipantRegistered.event_type: handler},
    )
    subjects = {str(pid) for pid in aggregates}

    async def all_applied() -> list[Any] | None:
        rows = await _applied(database, schema, subjects)
        return rows if len(rows) >= 79 else None

    async with running(consumer.run()):
        rows = await eventually(all_applied, timeout=60)
        await asyncio.sleep(1)  # let it read past the last record before counting
    rows = await _applied(database, schema, subjects)
    assert len(rows) == 79  # 80 events, the copy skipped, the one already in the inbox skipped
    assert already.id not in {r.event_id for r in rows}
    for pid in aggregates:
        seqs = [r.aggseq for r in rows if r.subject == str(pid)]
        expected = list(range(2, 21)) if pid == aggregates[1] else list(range(1, 21))
        assert seqs == expected, (pid, seqs)
    # Batched: far fewer transactions than records.
    assert len(handler.sessions) < 79


async def test_a_poison_record_goes_to_the_dlq_alone_and_its_batch_is_applied(
    spine_schema,
) -> None:
    database, tables, schema = spine_schema
    await _applied_table(database, schema)
    group = f"test-poison-{uuid.uuid4().hex[:8]}"
    topic = await _scratch(group, 1)
    pid = uuid.uuid4()
    events = [_event(pid, n) for n in range(1, 31)]
    poison = events[14]
    await _produce(topic, events)
    consumer = EventConsumer(
        group_id=group,
        topics=(topic,),
        bootstrap=KAFKA,
        database=database,
        inbox=tables.inbox,
        handlers={ParticipantRegistered.event_type: _Applied(schema, frozenset({poison.id}))},
        poison_attempts=2,
    )

    async def dead_lettered() -> list[dict[str, bytes]] | None:
        found = await _dead(f"{group}.dlq")
        return found or None

    async with running(consumer.run()):
        dead = await eventually(dead_lettered, timeout=60)

        async def applied() -> list[Any] | None:
            rows = await _applied(database, schema, {str(pid)})
            return rows if len(rows) >= 29 else None

        rows = await eventually(applied, timeout=60)
    assert [r.aggseq for r in rows] == [n for n in range(1, 31) if n != 15]
    assert len(dead) == 1
    assert dead[0]["dlq_reason"] == b"handler_failed"
    assert dead[0]["dlq_original_offset"] == b"14"
    assert dead[0]["ce_id"] == str(poison.id).encode()
