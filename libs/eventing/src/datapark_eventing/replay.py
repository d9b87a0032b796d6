"""Replay: read topics from the start, or from a point in time, without a consumer group.

Auditors build on this: nothing is committed, no group is joined, the read stops at the end
offsets seen when it began, so a replay is a finite, repeatable snapshot of the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime

from aiokafka import TopicPartition

from datapark_contracts.envelope import Envelope, MalformedEvent
from datapark_eventing.kafka import Kafka, make_admin, make_consumer

# records checked between two turns of the event loop (see replay)
SLICE = 500


async def _partitions(bootstrap: Kafka, topics: list[str]) -> list[TopicPartition]:
    admin = make_admin(bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic.get("error_code", 0) == 0
        for partition in sorted(topic["partitions"], key=lambda p: p["partition"])
    ]


@dataclass(frozen=True)
class ReplayedRecord:
    topic: str
    partition: int
    offset: int
    envelope: Envelope | None
    error: str | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


async def replay(
    bootstrap: Kafka, topics: Iterable[str], *, since: datetime | None = None
) -> AsyncIterator[ReplayedRecord]:
    partitions = await _partitions(bootstrap, list(topics))
    if not partitions:
        return
    consumer = make_consumer(
        bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # the relays write in transactions: an aborted batch is not part of the log
        isolation_level="read_committed",
        # whole batches per round trip: a replay reads everything, as fast as it can check it
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        if since is None:
            await consumer.seek_to_beginning(*partitions)
        else:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in partitions}
            )
            for tp in partitions:
                match = found.get(tp)
                consumer.seek(tp, match.offset if match is not None else end[tp])
        remaining = {tp for tp in partitions if await consumer.position(tp) < end[tp]}
        while remaining:
            # every record the consumer holds: aiokafka asks a broker for more only once each
            # partition it leads is drained, so draining at once sends the next fetch now; the
            # event loop runs every SLICE records, so that fetch is read while these are checked
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                stop = end[tp]
                for n, record in enumerate(records):
                    if record.offset >= stop:
                        break
                    if n % SLICE == 0:
                        await asyncio.sleep(0)
                    headers = tuple(record.headers or ())
                    try:
                        envelope: Envelope | None = Envelope.from_kafka(
                            record.key, record.value, headers
                        )
                        error = None
                    except MalformedEvent as exc:
                        envelope, error = None, str(exc)
                    yield ReplayedRecord(
                        record.topic, record.partition, record.offset, envelope, error, headers
                    )
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()
