"""The outbox relay: publishes a service's outbox rows to Kafka exactly once, in order.

One relay per service is active: it holds a Postgres advisory lock on its own connection;
standbys poll for the lock. The active relay wakes on LISTEN/NOTIFY and polls as a fallback.
While the broker is down it backs off and keeps the rows. Each row's stored trace context is
restored so the publish span continues the trace of the request that wrote it.

Exactly once on Kafka rests on three things:

- **Transactions.** The relay's producer is transactional, its id the lock's identity
  (``<service>-relay``): a batch is sent in one Kafka transaction and committed before its rows
  are marked sent. Starting the producer fences every older producer of the same id: a relay
  that lost its lock (killed, or cut off from Postgres) can no longer commit, and the broker
  aborts whatever transaction it left open. Readers use ``isolation_level="read_committed"``.
- **Reconciliation.** Whenever the outcome of earlier sends is unknown — on becoming the
  leader, and after any failure (a send or commit that erred or timed out, the database lost
  before the mark) — the relay first fences (a new producer), then reads back the partitions
  its pending rows map to (the producer's own murmur2 partitioner on the row's key) from just
  before the oldest pending row was written, up to the end every earlier transaction has been
  decided by, and marks the rows whose ``ce_id`` it finds there as sent. Only the rest is
  published. Nothing is sent before a reconciliation succeeds.
- **The lock.** One leader at a time reads and marks the outbox; a leader that loses its
  session loses the lock (TCP keepalives bound how long a vanished one holds it).

The mark is the one write whose loss reconciliation already repairs, so the relay's session
commits it asynchronously (``synchronous_commit=off``): a mark lost in a Postgres crash leaves
committed rows unsent, exactly like a relay killed between commit and mark, and the relay
(whose session the crash ended) reconciles before it sends again. It saves the WAL flush per
batch; every other write of the platform stays synchronous.

Throughput (#14): while a full batch is committed on Kafka the next one is read from Postgres
(excluding the rows in flight), and the rows' CloudEvents headers are written from the stored
columns, without parsing the payload back into an envelope (``_headers_of`` gives the bytes
``Envelope.headers()`` gives).

Reading back relies on the record timestamps (set by the relay host when it sends) not being
earlier than the row's ``created_at`` (Postgres's clock) by more than ``reconcile_margin``
seconds, and on a topic's partition count not changing between a send and its reconciliation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from datapark_contracts.envelope import Envelope, cloudevent_headers, format_time
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.kafka import Kafka, is_transactional, make_consumer, make_producer
from datapark_eventing.metrics import RELAY_LEADER, RELAY_RECONCILED
from datapark_eventing.outbox import notify_channel
from datapark_kit.db import asyncpg_dsn
from datapark_kit.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_SENT
from datapark_kit.telemetry import context_from, current_traceparent, spans_recorded

log = logging.getLogger("datapark.relay")
tracer = trace.get_tracer("datapark.relay")


LOCK_KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "3",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "20000",
}
# The relay's own session: its marks commit without waiting for the WAL flush (a lost mark is
# what reconciliation repairs; see the module's docstring).
RELAY_SESSION = {**LOCK_KEEPALIVES, "synchronous_commit": "off"}

# The ``ce_time`` and ``ce_id`` header texts, written by Postgres as ``format_time`` and
# ``str(uuid)`` write them (RFC 3339 in UTC, six fractional digits, a ``Z``; the canonical
# lowercase uuid): cheaper there than decoding and formatting each row in Python, and the hash
# every reader checks covers the time text (tests/integration/spine/test_spine_relay_time.py).
CE_TIME_SQL = """to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
CE_ID_SQL = "id::text"

_T = TypeVar("_T")
_U = TypeVar("_U")


class _Sent(NamedTuple):
    """A sent row's place in its aggregate's chain (what a checkpoint records of it)."""

    subject: str
    aggseq: int
    eventhash: str


def advisory_lock_key(schema: str) -> int:
    digest = hashlib.sha256(f"datapark.relay.{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        schema: str,
        database_url: str,
        bootstrap: Kafka,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
        max_backoff: float = 10.0,
        listen: bool = True,
        checkpoints: Checkpointer | None = None,
        transactional_id: str | None = None,
        transactional: bool = True,
        reconcile_margin: float = 60.0,
        reconcile_timeout: float = 60.0,
    ) -> None:
        self.service = service
        self.listen = listen
        self.checkpoints = checkpoints
        self.schema = schema
        self.dsn = asyncpg_dsn(database_url)
        self.bootstrap = bootstrap
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.max_backoff = max_backoff
        self.lock_key = advisory_lock_key(schema)
        self.channel = notify_channel(schema)
        # The fence has the lock's identity: one per outbox (service schema). The services pass
        # ``<service>-relay``; the default also names the schema, so the scratch outboxes of
        # tests and benchmarks on one broker never fence each other.
        self.transactional_id = (
            (transactional_id or f"{service}-relay.{schema}") if transactional else None
        )
        self.reconcile_margin = reconcile_margin
        self.reconcile_timeout = reconcile_timeout
        self.is_leader = False
        self.reconciled = 0  # rows found already on Kafka by this relay's reconciliations
        self._wake = asyncio.Event()
        self._backlog_due = 0.0
        # the next batch, read while the previous one was committed (None: read it now)
        self._prefetched: list[Any] | None = None

    async def run(self) -> None:
        """Run until cancelled, surviving database and broker outages."""
        backoff = 0.2
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "relay %s interrupted: %s; retrying in %.1fs",
                    self.service,
                    type(exc).__name__,
                    backoff,
                )
                self.is_leader = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _lead(self) -> None:
        # Server-side keepalives: when the leader's node dies without closing its socket,
        # Postgres ends the session (and frees the lock) in about idle + interval * count.
        RELAY_LEADER.labels(self.service).set(0)  # a standby reports 0 (alert: no leader)
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn, server_settings=RELAY_SESSION)
        try:
            # A standby polls for the lock; nothing can signal it when the leader's session ends.
            while not await conn.fetchval(  # noqa: ASYNC110
                "SELECT pg_try_advisory_lock($1)", self.lock_key
            ):
                await asyncio.sleep(self.poll_seconds)
            self.is_leader = True
            RELAY_LEADER.labels(self.service).set(1)
            log.info("relay %s is the active relay", self.service)
            if self.listen:
                await conn.add_listener(self.channel, self._on_notify)
            await self._publish_forever(conn)
        finally:
            self.is_leader = False
            RELAY_LEADER.labels(self.service).set(0)
            await conn.close()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    def _producer(self) -> AIOKafkaProducer:
        return make_producer(
            self.bootstrap,
            client_id=f"{self.service}-relay",
            transactional_id=self.transactional_id,
        )

    async def _publish_forever(self, conn: asyncpg.Connection) -> None:
        backoff = 0.2
        while True:
            # Every (re)start is a new producer: with the same transactional id its start
            # fences the producers before it and settles the transactions they left open, so
            # the reconciliation below sees a log no earlier send of this outbox can change.
            producer = self._producer()
            checkpoint_producer = _OneTransactionPerSend(producer)
            self._prefetched = None  # read after the reconciliation, never before
            try:
                await asyncio.wait_for(producer.start(), self.reconcile_timeout)
                await self.reconcile(conn, producer)
                backoff = 0.2
                while True:
                    # publish_batch clears the wake-up flag just before it reads its rows
                    # (_fetch_batch), never after: a NOTIFY that arrives while a batch is read
                    # or sent leaves the flag set, so the next wait returns at once instead of
                    # sleeping until the poll (the lost wake-up of #14).
                    sent = await self.publish_batch(conn, producer)
                    if self.checkpoints is not None:
                        await self.checkpoints.maybe_publish(checkpoint_producer)
                        if checkpoint_producer.failed is not None:
                            raise checkpoint_producer.failed
                    if sent < self.batch_size or time.monotonic() >= self._backlog_due:
                        # The backlog gauge is a count over unsent rows: read it when idle or
                        # once a second while draining, not once per batch.
                        await self._update_backlog(conn)
                        self._backlog_due = time.monotonic() + 1.0
                    if sent < self.batch_size:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
                if conn.is_closed():
                    raise
                log.warning(
                    "relay %s: broker unavailable (%s); rows wait in the outbox",
                    self.service,
                    type(exc).__name__,
                )
            except Exception as exc:
                if conn.is_closed():
                    raise
                log.warning(
                    "relay %s: publishing failed (%s); rows wait in the outbox",
                    self.service,
                    type(exc).__name__,
                )
            finally:
                if self.checkpoints is not None and checkpoint_producer.failed is None:
                    await self.checkpoints.flush(checkpoint_producer)
                await producer.stop()
            await self._update_backlog(conn)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def reconcile(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        """Mark as sent the pending rows Kafka already holds (committed); return how many.

        Called after the producer started (so every earlier transaction of this outbox is
        decided) and before anything is sent. Reads each partition the pending rows map to,
        from the first record stamped no earlier than its oldest pending row's ``created_at``
        less ``reconcile_margin``, up to the partition's end as it was when the reading began
        (every record up to there committed or aborted: read_committed waits for that).
        """
        groups = await conn.fetch(
            f"""SELECT topic, subject, min(created_at) AS oldest
                FROM "{self.schema}".outbox WHERE sent_at IS NULL
                GROUP BY topic, subject"""  # noqa: S608 - schema is ours, not user input
        )
        if not groups:
            return 0
        reader = make_consumer(
            self.bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",  # were a position ever reset: more read, none missed
            client_id=f"{self.service}-relay-reconcile",
        )
        await asyncio.wait_for(reader.start(), self.reconcile_timeout)
        try:
            found = await asyncio.wait_for(
                self._read_back(reader, producer, groups), self.reconcile_timeout
            )
        finally:
            await reader.stop()
        marked = 0
        for start in range(0, len(found), 5000):
            chunk = found[start : start + 5000]
            status = await conn.execute(
                f'UPDATE "{self.schema}".outbox SET sent_at = now() '  # noqa: S608
                "WHERE sent_at IS NULL AND id = ANY($1::uuid[])",
                chunk,
            )
            marked += int(status.split()[-1])
        if marked:
            self.reconciled += marked
            RELAY_RECONCILED.labels(self.service).inc(marked)
            log.warning(
                "relay %s: %d pending rows were already on Kafka (sent by an earlier attempt "
                "whose mark never committed); marked sent, not sent again",
                self.service,
                marked,
            )
        return marked

    async def _read_back(
        self, reader: AIOKafkaConsumer, producer: AIOKafkaProducer, groups: list[Any]
    ) -> list[uuid.UUID]:
        since: dict[TopicPartition, datetime] = {}
        partitions_of: dict[str, list[int]] = {}
        partitioner = DefaultPartitioner()
        for group in groups:
            topic = group["topic"]
            if topic not in partitions_of:
                # the producer's own view of the topic: what its partitioner divided by
                partitions_of[topic] = sorted(await producer.partitions_for(topic))
            ordered = partitions_of[topic]
            # what the producer does with a keyed record (murmur2 over all partitions)
            partition = partitioner(group["subject"].encode(), ordered, ordered)
            tp = TopicPartition(group["topic"], partition)
            oldest = group["oldest"]
            since[tp] = min(since.get(tp, oldest), oldest)
        if not since:
            return []
        tps = list(since)
        # The end as any reader sees it now (read_uncommitted: the high watermark): read
        # committed up to it, which waits until every transaction below it is decided.
        ends = await self._high_watermarks(tps)
        starts = await reader.offsets_for_times(
            {
                tp: int((moment.timestamp() - self.reconcile_margin) * 1000)
                for tp, moment in since.items()
            }
        )
        todo = {
            tp: found.offset
            for tp, found in starts.items()
            # None: nothing stamped since the oldest pending row was written
            if found is not None and found.offset < ends[tp]
        }
        # assigned and positioned with no await in between: the fetcher never resets them
        reader.assign(list(todo))
        for tp, offset in todo.items():
            reader.seek(tp, offset)
        ids: list[uuid.UUID] = []
        remaining = set(todo)
        while remaining:
            batch = await reader.getmany(*remaining, timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    event_id = dict(record.headers).get("ce_id")
                    if event_id is not None:
                        with contextlib.suppress(ValueError):
                            ids.append(uuid.UUID(event_id.decode()))
            # transaction markers take offsets no record answers: trust the position
            remaining = {tp for tp in remaining if await reader.position(tp) < ends[tp]}
        return ids

    async def _high_watermarks(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        probe = make_consumer(self.bootstrap, enable_auto_commit=False)
        await probe.start()
        try:
            ends: dict[TopicPartition, int] = await probe.end_offsets(tps)
            return ends
        finally:
            await probe.stop()

    async def publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        """Send the oldest unsent rows in outbox order as one transaction (when the producer
        is transactional); once committed, mark them sent. A failure raises: what was sent is
        then unknown until the relay reconciles.

        While a full batch is committed, the next one is read (the rows still unsent, less
        those in flight) and kept for the next call: a backlog drains without a Postgres
        round trip between one batch's commit and the next one's sends."""
        rows, self._prefetched = self._prefetched, None
        if rows is None:
            rows = await self._fetch_batch(conn)
        if not rows:
            return 0
        transactional = is_transactional(producer)
        if transactional:
            await producer.begin_transaction()
        try:
            pending = await self._send_rows(rows, producer)
            settled = self._settle(producer, pending, transactional=transactional)
            if len(rows) < self.batch_size:
                sent = await settled
            else:
                in_flight = [row["id"] for row in rows]
                sent, self._prefetched = await _both(
                    settled, self._fetch_batch(conn, in_flight=in_flight)
                )
        except BaseException:
            self._prefetched = None
            if transactional:
                await _abort_quietly(producer)
            raise
        if self.checkpoints is not None:
            for row, chained, metadata in sent:
                self.checkpoints.record(row["topic"], metadata.partition, metadata.offset, chained)
        try:
            await self._mark_sent(conn, [row["id"] for row, _, _ in sent])
        except BaseException:
            self._prefetched = None
            raise
        for topic, count in Counter(row["topic"] for row in rows).items():
            OUTBOX_SENT.labels(self.service, topic).inc(count)
        return len(sent)

    async def _fetch_batch(
        self, conn: asyncpg.Connection, *, in_flight: list[uuid.UUID] | None = None
    ) -> list[Any]:
        """The oldest unsent rows (up to a batch), less ``in_flight``. Clears the wake-up flag
        first: a NOTIFY for a row this read may miss arrives after it and sets it again."""
        self._wake.clear()
        rows: list[Any] = await conn.fetch(
            f"""SELECT id, topic, event_type, source, subject, event_time, payload, aggseq,
                       prevhash, eventhash, dataschema, traceparent, tracestate,
                       {CE_ID_SQL} AS ce_id, {CE_TIME_SQL} AS ce_time
                FROM "{self.schema}".outbox
                WHERE sent_at IS NULL AND NOT (id = ANY($2::uuid[]))
                ORDER BY position LIMIT $1""",  # noqa: S608 - schema is ours, not user input
            self.batch_size,
            in_flight or [],
        )
        return rows

    @staticmethod
    async def _settle(
        producer: AIOKafkaProducer,
        pending: list[tuple[Any, _Sent | Envelope, Any]],
        *,
        transactional: bool,
    ) -> list[tuple[Any, _Sent | Envelope, Any]]:
        if transactional:
            # committing sends what still lingers at once (aiokafka flushes for the commit):
            # a lone event does not wait out linger_ms first (#14, bench/lease_claim.py)
            await producer.commit_transaction()
        return [(row, chained, await future) for row, chained, future in pending]

    async def _mark_sent(self, conn: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
        await conn.execute(
            f'UPDATE "{self.schema}".outbox SET sent_at = now() '  # noqa: S608
            "WHERE id = ANY($1::uuid[])",
            ids,
        )

    async def _send_rows(
        self, rows: list[Any], producer: AIOKafkaProducer
    ) -> list[tuple[Any, _Sent | Envelope, Any]]:
        """Send the rows; each with its place in the chain and its send's future (not awaited
        here). The stored payload is the canonical JSON the hash covers: those very bytes are
        sent, never the parsed data re-serialised."""
        pending: list[tuple[Any, _Sent | Envelope, Any]] = []
        if not spans_recorded():
            # Nothing records a publish span: the headers carry the request's stored trace
            # context, written from the row's columns.
            send = producer.send
            for row in rows:
                future = await send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=row["subject"].encode(),
                    headers=_headers_of(row),
                )
                pending.append(
                    (row, _Sent(row["subject"], row["aggseq"], row["eventhash"]), future)
                )
            return pending
        for row in rows:
            envelope = _envelope_of(row)
            parent = context_from({"traceparent": row["traceparent"]} if row["traceparent"] else {})
            with tracer.start_as_current_span(
                f"publish {row['topic']}",
                context=parent,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": row["topic"],
                    "messaging.message.id": str(row["id"]),
                    "cloudevents.event_type": row["event_type"],
                },
            ):
                ctx = current_traceparent()
                traced = replace(
                    envelope, traceparent=ctx.get("traceparent"), tracestate=ctx.get("tracestate")
                )
                future = await producer.send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=traced.key,
                    headers=traced.headers(),
                )
            pending.append((row, traced, future))
        return pending

    async def _update_backlog(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            f'SELECT count(*) AS n, min(created_at) AS oldest FROM "{self.schema}".outbox '  # noqa: S608
            "WHERE sent_at IS NULL"
        )
        OUTBOX_BACKLOG.labels(self.service).set(row["n"])
        age = (datetime.now(UTC) - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)


def _headers_of(row: Any) -> list[tuple[str, bytes]]:
    """The CloudEvents headers of an outbox row as ``_fetch_batch`` reads it: the bytes
    ``_envelope_of(row).headers()`` gives, written from the columns (the payload is not parsed;
    ``ce_id`` and ``ce_time`` are the texts Postgres wrote, ``CE_ID_SQL`` and ``CE_TIME_SQL``)."""
    return cloudevent_headers(
        row["ce_id"],
        row["source"],
        row["event_type"],
        row["subject"],
        _ce_time(row),
        row["dataschema"],
        row["aggseq"],
        row["prevhash"],
        row["eventhash"],
        row["traceparent"],
        row["tracestate"],
    )


def _ce_time(row: Any) -> str:
    """The row's ``ce_time`` text: Postgres's, or for a time it writes no text for ``format_time``
    of the value read back. asyncpg stores Python's aware datetime.min and max as -infinity and
    infinity and reads them back as the naive min and max: read as UTC, they give the text the
    hash was computed over (the relay used to fail on such a row on every attempt)."""
    text: str | None = row["ce_time"]
    if text is not None:
        return text
    moment: datetime = row["event_time"]
    return format_time(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


async def _both(first: Awaitable[_T], second: Awaitable[_U]) -> tuple[_T, _U]:
    """Run two awaitables at once; both have finished (or been cancelled) when this returns or
    raises; the first one's error wins."""
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        await asyncio.wait(tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise
    errors = [task.exception() for task in tasks]  # both retrieved: no "never retrieved"
    for error in errors:
        if error is not None:
            raise error
    return tasks[0].result(), tasks[1].result()


def _envelope_of(row: Any) -> Envelope:
    return Envelope(
        id=row["id"],
        source=row["source"],
        type=row["event_type"],
        subject=row["subject"],
        time=row["event_time"],
        data=json.loads(row["payload"]),
        aggseq=row["aggseq"],
        prevhash=row["prevhash"],
        eventhash=row["eventhash"],
        dataschema=row["dataschema"],
        traceparent=row["traceparent"],
        tracestate=row["tracestate"],
    )


async def _abort_quietly(producer: AIOKafkaProducer) -> None:
    """Abort the open transaction if the broker still answers; if it does not, the next
    producer's start (same transactional id) aborts it, or the transaction timeout does."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(producer.abort_transaction(), 10)


class _OneTransactionPerSend:
    """The relay's producer as the checkpointer sees it: each checkpoint is a transaction of
    its own, acknowledged only once committed (the checkpointer advances its chain then, so a
    checkpoint in an aborted transaction is published again, never skipped). A failure is kept
    in ``failed``: the relay then starts a new producer and reconciles."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.failed: Exception | None = None

    async def send(self, topic: str, value: bytes, key: bytes, headers: Any) -> Any:
        if not is_transactional(self.producer):
            return await self.producer.send(topic, value=value, key=key, headers=headers)
        try:
            await self.producer.begin_transaction()
            future = await self.producer.send(topic, value=value, key=key, headers=headers)
        except Exception as exc:
            self.failed = exc
            await _abort_quietly(self.producer)
            raise
        return self._committed(future)

    async def _committed(self, future: Any) -> Any:
        try:
            # committed first, as a batch is: the commit sends what lingers at once (a failed
            # send fails the commit), so the checkpoint does not wait out linger_ms
            await self.producer.commit_transaction()
            metadata = await future
        except Exception as exc:
            self.failed = exc
            await _abort_quietly(self.producer)
            raise
        return metadata
