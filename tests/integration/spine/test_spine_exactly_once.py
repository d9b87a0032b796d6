"""Exactly once on Kafka (#16): the relay never publishes again what Kafka already holds.

The chaos run found byte-identical copies of events on Kafka: the relay had a batch
acknowledged and then could not mark its rows sent (Postgres went down; the process was
killed), so the next leader sent them again. Now the relay publishes each batch in a Kafka
transaction, fences older producers of its outbox when it starts, and reconciles pending rows
against the partitions' tails before sending anything. Each test here strikes between the
send and the mark on the real Kafka and Postgres (a scratch topic and schema) and reads the
topic back: every event once.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import select
from support.eventing_schema import (
    delete_topics,
    participant_registered,
    read_topic,
    running,
    unsent,
)
from support.helpers import KAFKA, eventually

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import Topic
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.kafka import make_producer
from datapark_eventing.outbox import Outbox
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.tables import EventingTables
from datapark_eventing.topics import ensure_topics
from datapark_kit.db import Database

pytestmark = pytest.mark.integration

PARTITIONS = 3
CHILD = Path(__file__).with_name("relay_kill9_child.py")
R = TypeVar("R", bound=OutboxRelay)


@pytest.fixture
async def scratch_topic(kafka_topics: str) -> AsyncIterator[str]:
    name = f"test.spine.{uuid.uuid4().hex[:8]}.once"
    await ensure_topics(KAFKA, [Topic(name, PARTITIONS, "test", "id", "exactly once")])
    try:
        yield name
    finally:
        await delete_topics(name)


async def _append(database: Database, tables: EventingTables, topic: str, count: int) -> set[str]:
    """``count`` events over a few aggregates (so they spread over the partitions); the ids
    of every event in the outbox for ``topic``."""

    class ToScratch(ParticipantRegistered):
        pass

    ToScratch.topic = topic
    outbox = Outbox(tables, "spinetest")
    aggregates = [uuid.uuid4() for _ in range(5)]
    async with database.unit_of_work() as session:
        for n in range(count):
            pid = aggregates[n % len(aggregates)]
            base = participant_registered(pid, f"Once {n}")
            await outbox.append(session, ToScratch(**base.model_dump()))
    return await _outbox_ids(database, tables, topic)


async def _outbox_ids(database: Database, tables: EventingTables, topic: str) -> set[str]:
    async with database.unit_of_work() as session:
        ids = await session.scalars(
            select(tables.outbox.c.id).where(tables.outbox.c.topic == topic)
        )
        return {str(i) for i in ids.all()}


async def _read_back(topic: str, isolation: str = "read_committed") -> Counter[str]:
    """Every event id on ``topic`` with its number of copies (as a reader at ``isolation``)."""
    records = await read_topic(topic, PARTITIONS, isolation=isolation)
    return Counter(dict(record.headers)["ce_id"].decode() for record in records)


async def _assert_each_once(topic: str, expected: set[str]) -> None:
    """``topic`` holds every one of the ``expected`` events, each exactly once."""
    on_kafka = await _read_back(topic)
    assert set(on_kafka) == expected
    assert [n for n in on_kafka.values() if n != 1] == []


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


async def _true(values: list[str]) -> bool:
    return bool(values)


def _drained(database: Database, tables: EventingTables) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return await unsent(database, tables) == 0

    return probe


async def _terminate_session(dsn: str, server_pid: int) -> bool:
    """End the Postgres session ``server_pid`` as a fast shutdown or a partition does; whether
    there was one to end."""
    killer = await asyncpg.connect(dsn)
    try:
        return bool(await killer.fetchval("SELECT pg_terminate_backend($1)", server_pid))
    finally:
        await killer.close()


def _relay(kind: type[R], schema: str, database: Database, **options: Any) -> R:
    """A relay of the scratch schema's outbox (of ``kind``) that polls and backs off quickly."""
    return kind(
        service="spinetest",
        schema=schema,
        database_url=database.url,
        bootstrap=KAFKA,
        poll_seconds=0.2,
        max_backoff=0.5,
        **options,
    )


class _LosesDatabaseAtTheMark(OutboxRelay):
    """Its first batch is committed to Kafka; then its Postgres session is terminated (as a
    fast shutdown does) just before the rows are marked sent, so the mark fails."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.struck = asyncio.Event()

    async def _mark_sent(self, conn: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
        if not self.struck.is_set():
            self.struck.set()
            await _terminate_session(self.dsn, conn.get_server_pid())
        await super()._mark_sent(conn, ids)


async def test_a_relay_that_loses_postgres_before_marking_is_not_published_twice(
    spine_schema, scratch_topic: str
) -> None:
    database, tables, schema = spine_schema
    expected = await _append(database, tables, scratch_topic, 25)
    struck = _relay(_LosesDatabaseAtTheMark, schema, database, batch_size=10)
    standby = _relay(OutboxRelay, schema, database, batch_size=10)

    async with running(struck.run()):
        await eventually(lambda: _is_set(struck.struck), timeout=60)
        # the leader lost its session; whichever relay leads next (it, reconnected, or the
        # standby) reconciles before it sends
        async with running(standby.run()):
            await eventually(_drained(database, tables), timeout=90)
    await _assert_each_once(scratch_topic, expected)
    # the struck batch was found on Kafka, not sent again
    assert struck.reconciled + standby.reconciled == 10


async def test_a_relay_killed_between_send_and_mark_is_not_published_twice(
    spine_schema, scratch_topic: str, tmp_path: Path
) -> None:
    database, tables, schema = spine_schema
    expected = await _append(database, tables, scratch_topic, 25)
    log = tmp_path / "child.log"
    with log.open("wb") as errors:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CHILD),
            database.url,
            schema,
            KAFKA,
            "10",
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 90)
        assert line.decode().strip() == "COMMITTED 10", log.read_text()
        # the first batch is on Kafka and its rows are not marked: the crash window
        assert sum((await _read_back(scratch_topic)).values()) == 10
        assert await unsent(database, tables) == 25
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), 30)
    relay = _relay(OutboxRelay, schema, database, batch_size=10)

    async with running(relay.run()):
        await eventually(_drained(database, tables), timeout=90)
    await _assert_each_once(scratch_topic, expected)
    assert relay.reconciled == 10


class _PausesBeforeCommit(OutboxRelay):
    """Sends its first batch inside a transaction and then stalls before committing (a GC
    pause, a network partition): a zombie once another relay has taken over."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()
        self.commit_refused: list[str] = []
        self.server_pid = 0

    async def _send_rows(self, rows: list[Any], producer: Any) -> Any:
        sent = await super()._send_rows(rows, producer)
        if not self.paused.is_set():
            self.paused.set()
            await self.resume.wait()
        return sent

    async def publish_batch(self, conn: asyncpg.Connection, producer: Any) -> int:
        self.server_pid = conn.get_server_pid()
        try:
            return await super().publish_batch(conn, producer)
        except Exception as exc:
            self.commit_refused.append(type(exc).__name__)
            raise


async def test_a_fenced_zombie_relay_cannot_land_a_late_copy(
    spine_schema, scratch_topic: str
) -> None:
    database, tables, schema = spine_schema
    expected = await _append(database, tables, scratch_topic, 25)
    zombie = _relay(_PausesBeforeCommit, schema, database, batch_size=10)
    successor = _relay(OutboxRelay, schema, database, batch_size=10)

    async with running(zombie.run()):
        await eventually(lambda: _is_set(zombie.paused), timeout=60)
        # its batch is on the broker, in a transaction not yet committed; Postgres now ends
        # its session (the partition), so the lock passes to the successor
        assert await _terminate_session(zombie.dsn, zombie.server_pid)
        async with running(successor.run()):
            await eventually(_drained(database, tables), timeout=90)
            zombie.resume.set()  # the zombie wakes up and tries to commit its batch
            await eventually(lambda: _true(zombie.commit_refused), timeout=60)
    assert zombie.commit_refused[0] in {"ProducerFenced", "InvalidProducerEpoch"}
    await _assert_each_once(scratch_topic, expected)
    # the zombie's batch did reach the log, as an aborted transaction no reader sees
    raw = await _read_back(scratch_topic, "read_uncommitted")
    assert sum(raw.values()) == 25 + 10


async def test_a_dead_letter_is_written_once_when_its_record_is_read_again(
    spine_schema, topic_with_dlq: tuple[str, str]
) -> None:
    # a consumer wrote a dead letter and stopped before committing the offset (killed, or
    # stalled past its session timeout): the partition's next owner reads the record again
    database, tables, _ = spine_schema
    topic, group = topic_with_dlq
    producer = make_producer(KAFKA, client_id="spine-poison")
    await producer.start()
    try:
        for n in range(2):
            await producer.send_and_wait(topic, b"\x00not json %d" % n, key=b"k")
        records = await read_topic(topic)
        assert len(records) == 2

        def member() -> EventConsumer:
            return EventConsumer(
                group_id=group,
                topics=(topic,),
                bootstrap=KAFKA,
                database=database,
                inbox=tables.inbox,
                handlers={},
            )

        first, second = member(), member()
        await first.process(records[0], producer)
        await second.process(records[0], producer)  # the same record, read again
        await second.process(records[1], producer)  # another poison record: its own letter
        await first.process(records[1], producer)
    finally:
        await producer.stop()
    letters = await read_topic(f"{group}.dlq")
    origins = sorted(
        int(dict(letter.headers)["dlq_original_offset"].decode()) for letter in letters
    )
    assert origins == [records[0].offset, records[1].offset]
