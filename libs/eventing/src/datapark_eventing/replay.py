"""Replay: read topics from the start, or from a point in time, without a consumer group.

Auditors build on this: nothing is committed, no group is joined, the read stops at the end
offsets seen when it began, so a replay is a finite, repeatable snapshot of the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any, NamedTuple

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


class ReplayedRecord(NamedTuple):
    """One record of a replay: its place in the log and its envelope, whose event hash was
    checked, or ``error``, why it is not a valid event. Immutable; a tuple (one is built for
    every record read, so it is the cheapest immutable record Python has)."""

    topic: str
    partition: int
    offset: int
    envelope: Envelope | None
    error: str | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def _checked(record: Any) -> ReplayedRecord:
    headers = tuple(record.headers or ())  # aiokafka's are a tuple already: not copied
    try:
        envelope = Envelope.from_kafka(record.key, record.value, headers)
    except MalformedEvent as exc:
        return ReplayedRecord(
            record.topic, record.partition, record.offset, None, str(exc), headers
        )
    return ReplayedRecord(record.topic, record.partition, record.offset, envelope, None, headers)


async def replay(
    bootstrap: Kafka, topics: Iterable[str], *, since: datetime | None = None
) -> AsyncIterator[ReplayedRecord]:
    """Every record of ``topics`` (from ``since``, or from the beginning) up to the end offsets
    seen when the read began, in offset order within each partition, each one checked as it is
    handed out.

    One record at a time, each dropped by the reader before the next is built: a record's data
    (a lease's whole schedule) is freed as soon as the reader is done with it. Handing out lists
    of records was tried and costs more (measured: the objects of a list's records outlive the
    youngest garbage-collector generation and are walked again by the older ones).
    """
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
        # whole batches per round trip: a replay reads everything, as fast as it can check it;
        # 2 MiB a partition rather than 8 (as the auditors' LogReader): fewer records alive at
        # once for the cyclic collector to walk (measured in docs/auditing.md)
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=2 * 1024 * 1024,
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
            # event loop runs between two slices of SLICE records, so that fetch is read while
            # these are checked
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                stop = end[tp]
                if records and records[-1].offset >= stop:
                    records = [r for r in records if r.offset < stop]
                for start in range(0, len(records), SLICE):
                    await asyncio.sleep(0)
                    for record in records[start : start + SLICE]:
                        yield _checked(record)
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
    finally:
        await consumer.stop()
