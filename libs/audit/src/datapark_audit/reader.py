"""Reading the log as an auditor: manual assignment, no consumer group, no committed offset.

A read is a finite snapshot: the end offsets are taken when it starts (those of checkpoint
topics first, so that every record a checkpoint names lies inside the snapshot), and each
partition is read from its beginning, or from the first record at or after ``since``, up to
that end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from datapark_audit.settings import AuditSettings, UsageError
from datapark_contracts.topics import AUDIT_CHECKPOINTS, all_topics


def platform_topics() -> list[str]:
    """Every topic of the registry: the event topics, the audit topic and every DLQ."""
    return [t.name for t in all_topics()]


def is_checkpoint_topic(name: str) -> bool:
    return name == AUDIT_CHECKPOINTS or "checkpoints" in name


@dataclass
class Window:
    """What one read covers, per partition: ``start <= offset < end``."""

    start: dict[TopicPartition, int] = field(default_factory=dict)
    end: dict[TopicPartition, int] = field(default_factory=dict)
    missing_topics: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(max(0, self.end[tp] - self.start[tp]) for tp in self.end)

    def covers(self, topic: str, partition: int, offset: int) -> bool:
        tp = TopicPartition(topic, partition)
        return tp in self.end and self.start[tp] <= offset < self.end[tp]

    def covers_range(self, topic: str, partition: int, offsets: list[int]) -> bool:
        """Whether every one of ``offsets`` lies in the read."""
        tp = TopicPartition(topic, partition)
        return tp in self.end and self.start[tp] <= min(offsets) and max(offsets) < self.end[tp]


def _unreachable(settings: AuditSettings, exc: BaseException) -> UsageError:
    return UsageError(
        f"cannot reach Kafka at {settings.bootstrap} ({type(exc).__name__}: {exc}); "
        "check --bootstrap / DATAPARK_AUDIT_BOOTSTRAP and the credentials"
    )


# records handed to the caller between two turns of the event loop (see LogReader.batches)
SLICE = 500


class LogReader:
    """One auditor's read of a set of topics."""

    def __init__(self, settings: AuditSettings, *, fetch_max_bytes: int = 50 * 1024 * 1024):
        self.settings = settings
        self.consumer = AIOKafkaConsumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # the relays write in transactions: an aborted batch is not part of the log
            isolation_level="read_committed",
            fetch_max_bytes=fetch_max_bytes,
            # 2 MiB a partition rather than 8: the records of a fetch are all built at once and
            # stay alive until handed out, so fewer at a time hold less memory and leave the
            # cyclic collector less to walk (measured: docs/auditing.md, "Throughput and memory")
            max_partition_fetch_bytes=2 * 1024 * 1024,
            metadata_max_age_ms=300_000,
            **settings.kafka_options(),
        )
        self.window = Window()

    async def __aenter__(self) -> LogReader:
        try:
            await asyncio.wait_for(self.consumer.start(), self.settings.request_timeout_ms / 1000)
        except (KafkaError, OSError, TimeoutError) as exc:
            await self.consumer.stop()
            raise _unreachable(self.settings, exc) from exc
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def existing_topics(self) -> set[str]:
        try:
            return set(await self.consumer.topics())
        except (KafkaError, OSError) as exc:
            raise _unreachable(self.settings, exc) from exc

    async def _partitions(self, topics: list[str]) -> list[TopicPartition]:
        if not topics:
            return []
        admin = AIOKafkaAdminClient(**self.settings.kafka_options())
        try:
            await admin.start()
            described = await admin.describe_topics(topics)
        except (KafkaError, OSError) as exc:
            raise _unreachable(self.settings, exc) from exc
        finally:
            await admin.close()
        found = {d["topic"]: d for d in described if d.get("error_code", 0) == 0}
        return [
            TopicPartition(topic, p["partition"])
            for topic in topics
            if topic in found
            for p in sorted(found[topic]["partitions"], key=lambda p: p["partition"])
        ]

    async def open(self, topics: Sequence[str], since: datetime | None = None) -> Window:
        """Assign every partition of ``topics`` and fix the window of the read."""
        existing = await self.existing_topics()
        window = Window(missing_topics=[t for t in topics if t not in existing])
        partitions = await self._partitions([t for t in topics if t in existing])
        self.consumer.assign(partitions)
        if not partitions:
            self.window = window
            return window
        first = [tp for tp in partitions if is_checkpoint_topic(tp.topic)]
        rest = [tp for tp in partitions if not is_checkpoint_topic(tp.topic)]
        ends: dict[TopicPartition, int] = {}
        if first:
            ends.update(await self.consumer.end_offsets(first))
        if rest:
            ends.update(await self.consumer.end_offsets(rest))
        starts = await self.consumer.beginning_offsets(partitions)
        if since is not None:
            found = await self.consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in partitions}
            )
            for tp in partitions:
                match = found.get(tp)
                starts[tp] = match.offset if match is not None else ends[tp]
        for tp in partitions:
            window.start[tp] = starts[tp]
            window.end[tp] = ends[tp]
            self.consumer.seek(tp, starts[tp])
        self.window = window
        return window

    async def batches(
        self, *, on_progress: Callable[[int], None] | None = None
    ) -> AsyncIterator[list[Any]]:
        """Records of the window in partition order, in batches (each a list of records).

        Each ``getmany`` takes every record the consumer holds, which lets it ask the broker
        for the next fetch at once (aiokafka asks a broker again only when every partition it
        leads has been drained); the records are then handed out in slices of
        :data:`SLICE` with the event loop run between two slices, so that the next fetch
        travels and is read while the caller checks this one, instead of after.
        """
        window = self.window
        remaining = {tp for tp in window.end if window.start[tp] < window.end[tp]}
        while remaining:
            fetched = await self.consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in fetched.items():
                end = window.end[tp]
                if records and records[-1].offset >= end:
                    records = [r for r in records if r.offset < end]
                for start in range(0, len(records), SLICE):
                    await asyncio.sleep(0)
                    piece = records[start : start + SLICE]
                    if on_progress is not None:
                        on_progress(len(piece))
                    yield piece
                if not records or records[-1].offset >= end - 1:
                    position = await self.consumer.position(tp)
                    if position >= end:
                        remaining.discard(tp)
            for tp in list(remaining):
                if await self.consumer.position(tp) >= window.end[tp]:
                    remaining.discard(tp)


def select_topics(requested: Iterable[str] | None, existing: set[str]) -> list[str]:
    """The registry's topics plus every DLQ on the cluster, or exactly the ones requested."""
    if requested:
        return list(dict.fromkeys(requested))
    names = platform_topics()
    names += sorted(t for t in existing if t.endswith(".dlq") and t not in names)
    return names
