"""The idempotent consumer: each record's effect and its inbox row commit together.

Per record: parse the CloudEvent (malformed or unknown type -> dead letter), validate the
payload against its contract (invalid -> dead letter), then in one transaction insert
``(consumer, event id)`` into the inbox and run the handler; a duplicate is skipped. Offsets
are committed manually, after the database commit, so a crash in between redelivers a record
that the inbox then recognises. Transient failures (database or network) retry with backoff
for as long as they last; other failures retry a few times and then go to the DLQ with error
headers, and processing carries on. Records are handled sequentially in the task that polls,
so a rebalance never interrupts a half-done record and committed offsets are always safe.

Throughput: the records one poll returns for a partition are applied in ONE transaction (one
multi-row inbox insert, then the handlers in partition order, so per-aggregate order holds).
If that transaction fails for a reason that is not transient, the batch is rolled back and
replayed one record per transaction, as above: a poison record goes to the DLQ alone and the
good records of its batch are applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope, MalformedEvent
from datapark_contracts.payloads import EventPayload, UnknownEventType, payload_model
from datapark_eventing.kafka import Kafka, make_consumer, make_producer
from datapark_kit.db import Database, bound_insert, constant_statement, unnest_insert
from datapark_kit.metrics import CONSUMER_LAG, MESSAGES
from datapark_kit.telemetry import context_from, spans_recorded

log = logging.getLogger("datapark.consumer")
tracer = trace.get_tracer("datapark.consumer")

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]


class TransientError(Exception):
    """Raise from a handler for a failure worth retrying indefinitely (a dependency is down)."""


class PoisonEvent(Exception):
    """Raise from a handler for an event that can never be applied: dead-lettered at once,
    without retries (see ``datapark_eventing.subscriptions``)."""


class PoisonMessage(Exception):
    """A record that can never be handled; it goes to the dead-letter topic."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def is_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError | OSError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        # serialization failure, deadlock, connection exceptions, admin shutdown
        if code and (code in ("40001", "40P01") or str(code).startswith(("08", "57"))):
            return True
        return isinstance(error, sa_exc.InterfaceError | sa_exc.OperationalError) or (
            error.orig is not None and error.orig is not error and is_transient(error.orig)
        )
    # The driver's own error, unwrapped (asyncpg raises it as is while the pool connects, e.g.
    # CannotConnectNowError 57P03 "the database system is shutting down"): a database that is
    # down is transient, never a reason to dead-letter the event.
    code = str(getattr(error, "sqlstate", None) or "")
    if code in ("40001", "40P01") or code.startswith(("08", "57")):
        return True
    if isinstance(error, asyncpg.InterfaceError):  # e.g. the connection closed under it
        return True
    return isinstance(error, sa_exc.InterfaceError | sa_exc.OperationalError)


@dataclass(frozen=True)
class Subscription:
    """What a consumer does with one event type."""

    event_type: str
    handler: Handler


@dataclass(frozen=True)
class _Parsed:
    """A record that parsed, validated and has a handler."""

    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope
    payload: EventPayload
    handler: Handler


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        topics: tuple[str, ...],
        bootstrap: Kafka,
        database: Database,
        inbox: Any,
        handlers: Mapping[str, Handler],
        dlq_topic: str | None = None,
        poison_attempts: int = 3,
        max_backoff: float = 10.0,
        consumer_name: str | None = None,
        dlq_lookback_seconds: float = 60.0,
    ) -> None:
        self.group_id = group_id
        # The inbox key: the logical consumer, stable across Kafka group ids, so two groups
        # feeding one database (a blue/green switch, a test harness) never apply an event twice.
        self.consumer_name = consumer_name or group_id
        self.topics = topics
        self.bootstrap = bootstrap
        self.database = database
        self.inbox = inbox
        self.handlers = dict(handlers)
        self.dlq_topic = dlq_topic or f"{group_id}.dlq"
        self.poison_attempts = poison_attempts
        self.max_backoff = max_backoff
        self.dlq_lookback_seconds = dlq_lookback_seconds
        self.assigned: set[TopicPartition] = set()
        self.stopping = False
        # A batch's inbox rows in one statement of constant text (arrays, not a VALUES row
        # per record), so it is compiled and prepared once.
        self._inbox_many = unnest_insert(
            inbox,
            ("event_id", "event_type", "topic", "partition", "offset"),
            scalars=("consumer",),
            returning=("event_id",),
        )
        # One record's inbox row (a batch of one, or a batch replayed record by record):
        # constant text too (postgresql.insert(...).on_conflict_do_nothing() has no cache key
        # and was compiled again for every record).
        self._inbox_one = constant_statement(
            bound_insert(
                inbox, ("consumer", "event_id", "event_type", "topic", "partition", "offset")
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )

    def stop(self) -> None:
        """Graceful stop (SIGTERM): finish the batch in hand, commit, leave the group."""
        self.stopping = True

    async def run(self) -> None:
        backoff = 0.2
        while not self.stopping:
            consumer = make_consumer(
                self.bootstrap,
                *self.topics,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                client_id=f"{self.group_id}-consumer",
                isolation_level="read_committed",
            )
            producer = make_producer(self.bootstrap, client_id=f"{self.group_id}-dlq")
            try:
                await consumer.start()
                await producer.start()
                backoff = 0.2
                await self._poll_forever(consumer, producer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "consumer %s interrupted: %s; retrying in %.1fs",
                    self.group_id,
                    type(exc).__name__,
                    backoff,
                )
            finally:
                await consumer.stop()
                await producer.stop()
            if self.stopping:
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def _poll_forever(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        while not self.stopping:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            done: dict[TopicPartition, int] = {}
            for tp, records in batches.items():
                if self.stopping:
                    break
                await self.process_batch(records, producer)
                done[tp] = records[-1].offset + 1
            if done:  # one offset commit per poll, after every database commit it covers
                await self._commit(consumer, done)
            self.assigned = set(consumer.assignment())
            for tp in self.assigned:
                high = consumer.highwater(tp)
                position = await consumer.position(tp)
                if high is not None:
                    CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(
                        max(high - position, 0)
                    )

    async def _commit(self, consumer: AIOKafkaConsumer, done: dict[TopicPartition, int]) -> None:
        """Commit the offsets of records whose effects are committed. A refusal because the
        group moved on (this member stalled past its session, or a rebalance began:
        ``CommitFailedError``; or a partition was revoked meanwhile: ``IllegalStateError``) loses
        nothing: the records' effects and inbox rows are committed, so whoever owns the
        partitions next reads them again and the inbox skips them. The member keeps polling,
        and its next poll rejoins the group; it is not torn down and started again (which cost
        one more rebalance)."""
        try:
            await consumer.commit(done)
        except (CommitFailedError, IllegalStateError) as refused:
            MESSAGES.labels(self.group_id, "commit_refused").inc()
            log.warning(
                "consumer %s: offset commit refused (%s); the records will be read again and "
                "skipped by the inbox; rejoining the group",
                self.group_id,
                type(refused).__name__,
            )

    async def process_batch(
        self, records: list[ConsumerRecord[bytes, bytes]], producer: AIOKafkaProducer
    ) -> None:
        """Apply one partition's records, in order, in one transaction; on a failure that is
        not transient, fall back to one transaction per record (poison isolated to the DLQ)."""
        ready: list[_Parsed] = []
        for record in records:
            try:
                envelope, payload = self._parse(record)
            except PoisonMessage as poison:
                await self._dead_letter(record, producer, poison.reason, poison.detail)
                continue
            handler = self.handlers.get(envelope.type)
            if handler is None:
                MESSAGES.labels(self.group_id, "skipped").inc()
                continue
            ready.append(_Parsed(record, envelope, payload, handler))
        if not ready:
            return
        if len(ready) == 1:
            await self._process_parsed(ready[0], producer)
            return
        backoff = 0.1
        while True:
            try:
                handled = await self._handle_batch_once(ready)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    MESSAGES.labels(self.group_id, "retried").inc()
                    log.warning(
                        "consumer %s: %s on a batch of %d; retrying",
                        self.group_id,
                        type(exc).__name__,
                        len(ready),
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                log.warning(
                    "consumer %s: %s in a batch of %d; applying its records one by one",
                    self.group_id,
                    type(exc).__name__,
                    len(ready),
                )
                for parsed in ready:
                    await self._process_parsed(parsed, producer)
                return
            MESSAGES.labels(self.group_id, "handled").inc(handled)
            if len(ready) > handled:
                MESSAGES.labels(self.group_id, "duplicate").inc(len(ready) - handled)
            return

    async def _handle_batch_once(self, batch: list[_Parsed]) -> int:
        async with self.database.unit_of_work() as session:
            inserted = await session.execute(
                self._inbox_many,
                {
                    "consumer": self.consumer_name,
                    "event_id": [p.envelope.id for p in batch],
                    "event_type": [p.envelope.type for p in batch],
                    "topic": [p.record.topic for p in batch],
                    "partition": [p.record.partition for p in batch],
                    "offset": [p.record.offset for p in batch],
                },
            )
            fresh = set(inserted.scalars())
            handled = 0
            for p in batch:
                if p.envelope.id not in fresh:
                    continue  # applied before (inbox) or earlier in this batch
                fresh.discard(p.envelope.id)
                with self._span(p.envelope):
                    await p.handler(session, p.envelope, p.payload)
                handled += 1
            return handled

    def _span(self, envelope: Envelope) -> Any:
        if not spans_recorded():
            return contextlib.nullcontext()
        parent = context_from({"traceparent": envelope.traceparent} if envelope.traceparent else {})
        return tracer.start_as_current_span(
            f"process {envelope.type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.group_id,
                "messaging.message.id": str(envelope.id),
            },
        )

    async def _process_parsed(self, parsed: _Parsed, producer: AIOKafkaProducer) -> None:
        with self._span(parsed.envelope):
            await self._handle_with_retries(
                parsed.record, producer, parsed.envelope, parsed.payload, parsed.handler
            )

    async def process(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer
    ) -> None:
        try:
            envelope, payload = self._parse(record)
        except PoisonMessage as poison:
            await self._dead_letter(record, producer, poison.reason, poison.detail)
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            MESSAGES.labels(self.group_id, "skipped").inc()
            return
        await self._process_parsed(_Parsed(record, envelope, payload, handler), producer)

    def _parse(self, record: ConsumerRecord[bytes, bytes]) -> tuple[Envelope, EventPayload]:
        try:
            envelope = Envelope.from_kafka(record.key, record.value, list(record.headers))
        except MalformedEvent as exc:
            raise PoisonMessage("malformed", str(exc)) from exc
        try:
            model = payload_model(envelope.type)
        except UnknownEventType:
            raise PoisonMessage("unknown_type", f"no contract for {envelope.type}") from None
        try:
            return envelope, model.model_validate(envelope.data)
        except ValidationError as exc:
            raise PoisonMessage("invalid_payload", str(exc)) from exc

    async def _handle_with_retries(
        self,
        record: ConsumerRecord[bytes, bytes],
        producer: AIOKafkaProducer,
        envelope: Envelope,
        payload: EventPayload,
        handler: Handler,
    ) -> None:
        attempt, backoff = 0, 0.1
        while True:
            attempt += 1
            try:
                handled = await self._handle_once(record, envelope, payload, handler)
                MESSAGES.labels(self.group_id, "handled" if handled else "duplicate").inc()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, PoisonEvent) or (
                    not is_transient(exc) and attempt >= self.poison_attempts
                ):
                    detail = "".join(traceback.format_exception_only(exc)).strip()
                    await self._dead_letter(record, producer, "handler_failed", detail)
                    return
                MESSAGES.labels(self.group_id, "retried").inc()
                log.warning(
                    "consumer %s: %s on %s (attempt %d); retrying",
                    self.group_id,
                    type(exc).__name__,
                    envelope.type,
                    attempt,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _handle_once(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        payload: EventPayload,
        handler: Handler,
    ) -> bool:
        async with self.database.unit_of_work() as session:
            inserted = await session.execute(
                self._inbox_one,
                {
                    "consumer": self.consumer_name,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                },
            )
            if inserted.first() is None:
                return False
            await handler(session, envelope, payload)
            return True

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        producer: AIOKafkaProducer,
        reason: str,
        detail: str,
    ) -> None:
        headers = [
            *list(record.headers or ()),
            ("dlq_reason", reason.encode()),
            ("dlq_error", detail[:4000].encode()),
            ("dlq_consumer_group", self.group_id.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
        ]
        if await self._dead_lettered_before(record, producer):
            # an earlier owner of the partition wrote it and stopped before committing the
            # offset (killed, or stalled past its session): the DLQ keeps one copy
            MESSAGES.labels(self.group_id, "dead_letter_already_written").inc()
            log.warning(
                "consumer %s: %s/%d@%d is already in %s; not written again",
                self.group_id,
                record.topic,
                record.partition,
                record.offset,
                self.dlq_topic,
            )
            return
        try:
            await producer.send_and_wait(
                self.dlq_topic, value=record.value, key=record.key, headers=headers
            )
        except KafkaError:
            log.error("consumer %s: cannot write dead letter to %s", self.group_id, self.dlq_topic)
            raise
        MESSAGES.labels(self.group_id, "dead_lettered").inc()
        log.error(
            "consumer %s: dead-lettered %s/%d@%d (%s): %s",
            self.group_id,
            record.topic,
            record.partition,
            record.offset,
            reason,
            detail[:300],
        )

    async def _dead_lettered_before(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer
    ) -> bool:
        """Whether this group's DLQ already holds a dead letter of ``record`` (same origin
        topic, partition and offset). Read back from the dead letters stamped since shortly
        before the record itself, up to the DLQ's end."""
        origin = {
            "dlq_consumer_group": self.group_id.encode(),
            "dlq_original_topic": record.topic.encode(),
            "dlq_original_partition": str(record.partition).encode(),
            "dlq_original_offset": str(record.offset).encode(),
        }
        reader = make_consumer(
            self.bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            client_id=f"{self.group_id}-dlq-check",
        )
        await reader.start()
        try:
            # the producer's view of the DLQ (it waits for the topic's metadata)
            partitions = await producer.partitions_for(self.dlq_topic)
            tps = [TopicPartition(self.dlq_topic, p) for p in sorted(partitions)]
            ends = await reader.end_offsets(tps)
            since = max(0, record.timestamp - int(self.dlq_lookback_seconds * 1000))
            starts = await reader.offsets_for_times(dict.fromkeys(tps, since))
            todo = {
                tp: found.offset
                for tp, found in starts.items()
                if found is not None and found.offset < ends[tp]
            }
            reader.assign(list(todo))
            for tp, offset in todo.items():  # no await between assign and seek
                reader.seek(tp, offset)
            remaining = set(todo)
            while remaining:
                batch = await reader.getmany(*remaining, timeout_ms=500, max_records=1000)
                for letters in batch.values():
                    for letter in letters:
                        headers = dict(letter.headers or ())
                        if all(headers.get(name) == value for name, value in origin.items()):
                            return True
                remaining = {tp for tp in remaining if await reader.position(tp) < ends[tp]}
            return False
        finally:
            await reader.stop()
