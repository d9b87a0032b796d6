"""Delivery guarantees on the real Kafka and Postgres: broker outage, relay crash between send
and mark, poison records. The eventing tables live in a schema of their own for these tests."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import update
from support.eventing_schema import participant_registered, read_topic, running, unsent
from support.helpers import KAFKA, eventually

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import CATALOG_PARTICIPANTS
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.kafka import make_producer
from datapark_eventing.outbox import Outbox
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.replay import replay
from datapark_eventing.tables import EventingTables
from datapark_kit.db import Database

pytestmark = pytest.mark.integration


def _registered(pid: uuid.UUID, n: int) -> ParticipantRegistered:
    return participant_registered(pid, f"Fault Test {n}")


async def _append(database: Database, outbox: Outbox, pid: uuid.UUID, count: int) -> None:
    for n in range(count):
        async with database.unit_of_work() as session:
            await outbox.append(session, _registered(pid, n))


async def _on_kafka(subjects: set[str]) -> list[Envelope]:
    return [
        r.envelope
        async for r in replay(KAFKA, [CATALOG_PARTICIPANTS])
        if r.envelope is not None and r.envelope.subject in subjects
    ]


async def test_broker_down_rows_wait_then_all_arrive_in_order(spine_schema) -> None:
    database, tables, schema = spine_schema
    outbox = Outbox(tables, "spinetest")
    aggregates = [uuid.uuid4() for _ in range(3)]
    down = OutboxRelay(
        service="spinetest",
        schema=schema,
        database_url=database.url,
        bootstrap="127.0.0.1:1",
        poll_seconds=0.2,
        max_backoff=0.5,
    )
    async with running(down.run()):
        for pid in aggregates:
            await _append(database, outbox, pid, 5)  # requests succeed while Kafka is away
        await asyncio.sleep(2)
        assert await unsent(database, tables) == 15
    up = OutboxRelay(
        service="spinetest",
        schema=schema,
        database_url=database.url,
        bootstrap=KAFKA,
        poll_seconds=0.2,
    )
    async with running(up.run()):
        await eventually(lambda: _zero(database, tables), timeout=60)
    subjects = {str(a) for a in aggregates}
    events = await eventually(lambda: _at_least(subjects, 15), timeout=60)
    by_aggregate: dict[str, list[int]] = {}
    for env in events:
        by_aggregate.setdefault(env.subject, []).append(env.aggseq)
    assert all(seqs == [1, 2, 3, 4, 5] for seqs in by_aggregate.values()), by_aggregate


async def _zero(database: Database, tables: EventingTables) -> bool:
    return await unsent(database, tables) == 0


async def _at_least(subjects: set[str], n: int) -> list[Envelope] | None:
    found = await _on_kafka(subjects)
    return found if len(found) >= n else None


async def test_relay_crash_before_marking_sends_duplicates_applied_once(spine_schema) -> None:
    database, tables, schema = spine_schema
    outbox = Outbox(tables, "spinetest")
    pid = uuid.uuid4()
    await _append(database, outbox, pid, 3)
    relay = OutboxRelay(
        service="spinetest", schema=schema, database_url=database.url, bootstrap=KAFKA
    )
    producer = make_producer(KAFKA, client_id="spine-crash")
    await producer.start()
    import asyncpg

    conn = await asyncpg.connect(database.url.replace("+asyncpg", ""))
    try:
        assert await relay.publish_batch(conn, producer) >= 3
        # The crash: the sends were acknowledged but the "sent" mark never committed.
        async with database.unit_of_work() as session:
            await session.execute(
                update(tables.outbox)
                .where(tables.outbox.c.subject == str(pid))
                .values(sent_at=None)
            )
        assert await relay.publish_batch(conn, producer) >= 3
    finally:
        await conn.close()
        await producer.stop()
    copies = await eventually(lambda: _at_least({str(pid)}, 6), timeout=60)
    assert len(copies) == 6
    assert len({e.id for e in copies}) == 3

    applied: Counter[uuid.UUID] = Counter()

    async def count(session: Any, envelope: Envelope, payload: Any) -> None:
        if envelope.subject == str(pid):
            applied[envelope.id] += 1

    group = f"test-dup-{uuid.uuid4().hex[:8]}"
    consumer = EventConsumer(
        group_id=group,
        topics=(CATALOG_PARTICIPANTS,),
        bootstrap=KAFKA,
        database=database,
        inbox=tables.inbox,
        handlers={ParticipantRegistered.event_type: count},
        dlq_topic="trading.worker.dlq",
    )
    async with running(consumer.run()):

        async def all_applied() -> bool:
            return len(applied) == 3

        await eventually(all_applied, timeout=60)
        # The copies sit right behind the originals on the same partition: give the consumer
        # time to read past them before looking.
        await asyncio.sleep(3)
    assert sorted(applied.values()) == [1, 1, 1]


async def test_malformed_and_unknown_records_go_to_the_dlq_and_consumption_goes_on(
    spine_schema, topic_with_dlq: tuple[str, str]
) -> None:
    database, tables, _ = spine_schema
    topic, group = topic_with_dlq
    good = Envelope(
        id=uuid.uuid4(),
        source="/datapark/test",
        type=ParticipantRegistered.event_type,
        subject=str(uuid.uuid4()),
        time=datetime.now(UTC),
        data=_registered(uuid.uuid4(), 1).to_data(),
        aggseq=1,
        prevhash="0" * 64,
    )
    good = Envelope(**{**good.__dict__, "subject": good.data["participant_id"]}).sealed()
    unknown = Envelope(
        **{**good.__dict__, "id": uuid.uuid4(), "type": "datapark.test.thing.happened.v1"}
    ).sealed()
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\x00not json", key=b"k", headers=[("x", b"y")])
        await producer.send_and_wait(
            topic, unknown.value(), key=unknown.key, headers=unknown.headers()
        )
        await producer.send_and_wait(topic, good.value(), key=good.key, headers=good.headers())
    finally:
        await producer.stop()
    handled: list[uuid.UUID] = []

    async def record(session: Any, envelope: Envelope, payload: Any) -> None:
        handled.append(envelope.id)

    consumer = EventConsumer(
        group_id=group,
        topics=(topic,),
        bootstrap=KAFKA,
        database=database,
        inbox=tables.inbox,
        handlers={ParticipantRegistered.event_type: record},
    )
    async with running(consumer.run()):
        await eventually(lambda: _true(handled), timeout=60)
    assert handled == [good.id]
    dead = [list(r.headers) for r in await read_topic(f"{group}.dlq")]
    reasons = sorted(dict(h)["dlq_reason"].decode() for h in dead)
    assert reasons == ["malformed", "unknown_type"]
    assert all(dict(h)["dlq_original_topic"].decode() == topic for h in dead)


async def _true(values: list[Any]) -> bool:
    return bool(values)
