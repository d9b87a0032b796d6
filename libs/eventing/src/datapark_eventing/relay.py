"""The outbox relay: publishes a service's outbox rows to Kafka in order, then marks them sent.

One relay per service is active: it holds a Postgres advisory lock on its own connection;
standbys poll for the lock. The active relay wakes on LISTEN/NOTIFY and polls as a fallback.
While the broker is down it backs off and keeps the rows; once sends are acknowledged
(``acks=all``, idempotent producer) it marks them sent. A crash between the two resends
rows, which consumers' inboxes absorb. Each row's stored trace context is restored so the
publish span continues the trace of the request that wrote it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from datapark_contracts.envelope import Envelope
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.kafka import Kafka, make_producer
from datapark_eventing.metrics import RELAY_LEADER
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
        self.is_leader = False
        self._wake = asyncio.Event()
        self._backlog_due = 0.0

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
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn, server_settings=LOCK_KEEPALIVES)
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

    async def _publish_forever(self, conn: asyncpg.Connection) -> None:
        backoff = 0.2
        while True:
            producer = make_producer(self.bootstrap, client_id=f"{self.service}-relay")
            try:
                await producer.start()
                backoff = 0.2
                while True:
                    # Cleared before reading, never after: a NOTIFY that arrives while this
                    # batch is read or sent leaves the flag set, so the next wait returns at
                    # once instead of sleeping until the poll (the lost wake-up of #14).
                    self._wake.clear()
                    sent = await self.publish_batch(conn, producer)
                    if self.checkpoints is not None:
                        await self.checkpoints.maybe_publish(producer)
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
                if self.checkpoints is not None:
                    await self.checkpoints.flush(producer)
                await producer.stop()
            await self._update_backlog(conn)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    async def publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        """Send the oldest unsent rows in outbox order; mark those acknowledged as sent."""
        rows = await conn.fetch(
            f"""SELECT id, topic, event_type, source, subject, event_time, payload, aggseq,
                       prevhash, eventhash, dataschema, traceparent, tracestate
                FROM "{self.schema}".outbox WHERE sent_at IS NULL
                ORDER BY position LIMIT $1""",  # noqa: S608 - schema is ours, not user input
            self.batch_size,
        )
        if not rows:
            return 0
        pending = []
        traced_spans = spans_recorded()
        for row in rows:
            envelope = _envelope_of(row)
            if not traced_spans:
                # Nothing records a publish span: send the request's stored trace context.
                future = await producer.send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=envelope.key,
                    headers=envelope.headers(),
                )
                pending.append((row, envelope, future))
                continue
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
                # The stored payload is the canonical JSON the hash covers: send those bytes
                # rather than re-serialising the parsed data.
                future = await producer.send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=traced.key,
                    headers=traced.headers(),
                )
            pending.append((row, traced, future))
        acknowledged: list[Any] = []
        try:
            for row, traced, future in pending:
                sent = await future
                if self.checkpoints is not None:
                    self.checkpoints.record(row["topic"], sent.partition, sent.offset, traced)
                acknowledged.append(row["id"])
                OUTBOX_SENT.labels(self.service, row["topic"]).inc()
        finally:
            if acknowledged:
                await conn.execute(
                    f'UPDATE "{self.schema}".outbox SET sent_at = now() '  # noqa: S608
                    "WHERE id = ANY($1::uuid[])",
                    acknowledged,
                )
        return len(acknowledged)

    async def _update_backlog(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            f'SELECT count(*) AS n, min(created_at) AS oldest FROM "{self.schema}".outbox '  # noqa: S608
            "WHERE sent_at IS NULL"
        )
        OUTBOX_BACKLOG.labels(self.service).set(row["n"])
        age = (datetime.now(UTC) - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)


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
