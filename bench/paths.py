"""The event and write paths beside their physical limits, each figure beside a baseline that
ran in the same process run (issue #14). Prints one table and writes it into
``docs/performance.md`` (section "Event and write paths") with the machine it ran on.

Everything runs against scratch objects created here and removed at the end: a schema
``bench_<hex>`` in the test database (the eventing tables, a copy of rental's
``unit_reservations`` with its exclusion constraint, an ``applied`` table) and topics
``bench.<hex>.*``. No real topic or table is read or written. 127.0.0.1 only, bounded load.

Rows:
- relay: the relay as it runs (``OutboxRelay.run``: NOTIFY wake-up, one Kafka transaction per
  batch of 200, checkpoints every 1,000 events to a scratch topic) draining N rows, beside raw
  aiokafka with the same settings (``make_producer``) sending the same records (value, key,
  headers) in the same batches: a transactional producer (begin / send / commit per batch:
  the ratio's baseline, since exactly once needs the transaction) and the idempotent one
  without transactions (reference); and beside Kafka's own ``ProducerPerformance`` (tools jar
  of the broker's version, ``deploy/local/pom-tools.xml``) with the same acks/idempotence/linger
  and record size. BENCH_ROUNDS rounds alternate, medians, with CPU per event;
- consumer: ``EventConsumer`` (contract validation, inbox, one INSERT per record in the
  handler through the session) over N records, beside the same consumer written by hand
  (aiokafka + asyncpg: the same parse, statements, transactions and offset commits), and for
  reference the statements alone by hand over records read beforehand and a raw consume;
  rounds alternate, medians, with CPU per record;
- write: the booking's minimal write in datapark's unit of work (exclusion insert through
  SQLAlchemy Core + ``Outbox.append``), CLIENTS concurrent, beside pgbench running the same
  statements, and pgbench's minimal transaction (exclusion insert + outbox insert);
- event path: commit of ``Outbox.append`` -> relay (NOTIFY) -> Kafka -> ``EventConsumer``
  handler, one event at a time, beside a raw aiokafka round trip as the relay sends and
  consumers read (transactional produce -> read_committed consume), and a plain one
  (send_and_wait -> read_uncommitted) for reference.

Run: ``make bench`` (or ``uv run python bench/paths.py``) with the local stack up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import MetaData, text

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.payloads import payload_model
from datapark_contracts.topics import Topic
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.kafka import is_transactional, make_producer
from datapark_eventing.outbox import Outbox
from datapark_eventing.projections import participant_projection_table, participant_subscriptions
from datapark_eventing.relay import OutboxRelay, _envelope_of
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_eventing.topics import ensure_topics
from datapark_kit.db import Database, asyncpg_dsn
from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM
from datapark_kit.telemetry import setup_tracing

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import pgbench_binary, read_back, run_pgbench, write_section  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- paths:begin -->", "<!-- paths:end -->"
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
KAFKA = f"127.0.0.1:{os.environ.get('DATAPARK_KAFKA_PORT', '9092')}"
URL = f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test"
DSN = asyncpg_dsn(URL)
N = int(os.environ.get("BENCH_EVENTS", "5000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
BATCH = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PERF_RECORDS = int(os.environ.get("BENCH_PERF_RECORDS", "50000"))


@dataclass
class Row:
    path: str
    figure: float
    unit: str
    baseline_name: str
    baseline: float | None
    latencies: Sequence[float] = ()
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        if not self.baseline or not self.figure:
            return None
        return self.figure / self.baseline if self.higher_is_better else self.baseline / self.figure


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def registered(n: int, pid: uuid.UUID | None = None) -> ParticipantRegistered:
    return ParticipantRegistered(
        participant_id=pid or uuid.uuid4(),
        name=f"Bench Participant {n}",
        uscc=None,
        kind="person",
        region_code="620102",
        roles=("customer",),
        park_member=False,
        status="pending",
        occurred_at=datetime.now(UTC),
    )


class Scratch:
    """The run's scratch schema and topics."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.schema = f"bench_{tag}"
        self.topic = f"bench.{tag}.events"
        self.echo = f"bench.{tag}.echo"
        self.consume = f"bench.{tag}.consume"
        self.dlq = f"bench.{tag}.dlq"
        self.audit = f"bench.{tag}.audit"
        self.tables: EventingTables = eventing_tables(MetaData(schema=self.schema))
        # every service's copy of catalog's participants (the consumer's real handler)
        self.participants = participant_projection_table(self.tables.outbox.metadata)

    async def create(self, database: Database) -> None:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            await conn.run_sync(self.tables.outbox.metadata.create_all)
            await conn.execute(
                text(
                    f'CREATE TABLE "{self.schema}".unit_reservations '
                    "(LIKE rental.unit_reservations INCLUDING ALL)"
                )
            )
            await conn.execute(
                text(
                    f'CREATE TABLE "{self.schema}".applied (event_id uuid PRIMARY KEY, '
                    "subject text NOT NULL, aggseq int NOT NULL)"
                )
            )
        await ensure_topics(
            KAFKA,
            [
                Topic(self.topic, 3, "bench", "id", "bench"),
                Topic(self.echo, 1, "bench", "id", "bench"),
                Topic(self.consume, 3, "bench", "id", "bench"),
                Topic(self.dlq, 1, "bench", "id", "bench"),
                Topic(self.audit, 1, "bench", "id", "bench"),
            ],
        )

    async def drop(self, database: Database) -> None:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            await admin.delete_topics([self.topic, self.echo, self.consume, self.dlq, self.audit])
        finally:
            await admin.close()

    async def reset(self, database: Database) -> None:
        async with database.engine.begin() as conn:
            for table in (
                "outbox",
                "inbox",
                "event_chain_heads",
                "applied",
                "unit_reservations",
                "participants",
            ):
                await conn.execute(text(f'TRUNCATE "{self.schema}".{table}'))


# -- relay ---------------------------------------------------------------------------------


async def fill_outbox(database: Database, scratch: Scratch, count: int) -> None:
    outbox = Outbox(scratch.tables, "bench")
    for start in range(0, count, 500):
        async with database.unit_of_work() as session:
            for n in range(start, min(start + 500, count)):
                await outbox.append(session, registered(n))
    async with database.engine.begin() as conn:  # the scratch topic, never the real one
        await conn.execute(
            text(f'UPDATE "{scratch.schema}".outbox SET topic = :t'), {"t": scratch.topic}
        )


class _TimedRelay(OutboxRelay):
    """The relay as it runs (its own loop: NOTIFY wake-up, batches, checkpoints, backlog
    gauge), telling the bench when it has sent what a round put back in its outbox."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.target = 0
        self.sent = 0
        self.drained = asyncio.Event()
        self.idle = asyncio.Event()

    async def publish_batch(self, conn: asyncpg.Connection, producer: Any) -> int:
        found = await super().publish_batch(conn, producer)
        self.sent += found
        if self.target and self.sent >= self.target:
            self.drained.set()
        if not found:
            self.idle.set()
        return found


async def _relay_round(relay: _TimedRelay, conn: asyncpg.Connection) -> Sample:
    """One drain of the N rows put back in the outbox (one commit, which NOTIFYs the relay)."""
    await conn.execute(f'VACUUM ANALYZE "{relay.schema}".outbox')
    relay.sent, relay.target = 0, N
    relay.drained.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    async with conn.transaction():
        await conn.execute(f'UPDATE "{relay.schema}".outbox SET sent_at = NULL')
        await conn.execute(f'NOTIFY "{relay.channel}"')
    await asyncio.wait_for(relay.drained.wait(), 300)
    return Sample.of(relay.sent, wall, cpu)


async def _raw_round(producer: Any, records: list[tuple[str, bytes, bytes, Any]]) -> Sample:
    """The same records in the same batches through a bare producer: for a transactional one
    begin, send, commit, then await the sends (what the relay does with Kafka), else send and
    await."""
    transactional = is_transactional(producer)
    wall, cpu = time.perf_counter(), time.process_time()
    for at in range(0, len(records), BATCH):
        if transactional:
            await producer.begin_transaction()
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for topic, value, key, headers in records[at : at + BATCH]
        ]
        if transactional:
            await producer.commit_transaction()
        for future in futures:
            await future
    return Sample.of(len(records), wall, cpu)


@dataclass(frozen=True)
class Sample:
    """One timed round: events per second of wall time and CPU microseconds per event of this
    process (the machine is shared: the CPU figure is the steadier one)."""

    rate: float
    cpu_us: float

    @classmethod
    def of(cls, count: int, wall_started: float, cpu_started: float) -> Sample:
        wall = time.perf_counter() - wall_started
        cpu = time.process_time() - cpu_started
        return cls(count / wall, cpu / count * 1e6)


def _print_paired(section: str, ours: Sequence[Sample], base: Sequence[Sample]) -> None:
    """Ratios of rounds run back to back (the machine's load drifts between rounds less than
    between runs) and of CPU per event: the steadier readings on a shared machine."""
    rates = [o.rate / b.rate for o, b in zip(ours, base, strict=True)]
    cpus = [b.cpu_us / o.cpu_us for o, b in zip(ours, base, strict=True)]
    print(
        f"  {section}: back-to-back round ratios {', '.join(f'{r:.2f}' for r in rates)} "
        f"(median {statistics.median(rates):.2f}); CPU ratio (baseline/datapark per event) "
        f"median {statistics.median(cpus):.2f}"
    )


def _median(samples: Sequence[Sample]) -> Sample:
    return Sample(
        statistics.median(s.rate for s in samples), statistics.median(s.cpu_us for s in samples)
    )


async def bench_relay(database: Database, scratch: Scratch) -> tuple[list[Row], int]:
    """The relay as it runs (transactional: one Kafka transaction per batch of 200, committed
    before its rows are marked sent; signed checkpoints every 1,000 events, to a scratch
    topic) beside raw aiokafka with the same settings and records: a transactional producer
    doing begin / send / commit per batch of 200 (the fair baseline: exactly once needs the
    transaction), and, for reference, the idempotent producer without transactions. ROUNDS
    rounds alternate relay, raw transactional, raw idempotent; medians reported, with each
    side's CPU per event (this process: the relay runs in it)."""
    await scratch.reset(database)
    await fill_outbox(database, scratch, N)
    conn = await asyncpg.connect(DSN)
    # The same records as the relay sends them: its envelopes' value, key and headers.
    records = []
    for row in await conn.fetch(
        f"""SELECT id, topic, event_type, source, subject, event_time, payload, aggseq,
                   prevhash, eventhash, dataschema, traceparent, tracestate
            FROM "{scratch.schema}".outbox ORDER BY position"""
    ):
        e = _envelope_of(row)
        records.append((row["topic"], row["payload"].encode(), e.key, e.headers()))
    # nothing pending when the relay starts: its reconciliation has nothing to read back
    await conn.execute(f'UPDATE "{scratch.schema}".outbox SET sent_at = now()')
    relay = _TimedRelay(
        service="bench",
        schema=scratch.schema,
        database_url=URL,
        bootstrap=KAFKA,
        checkpoints=Checkpointer(
            service="bench",
            signing_key_pem=DEV_CHECKPOINT_PRIVATE_KEY_PEM,
            key_id=DEV_CHECKPOINT_KEY_ID,
            topic=scratch.audit,
        ),
    )
    raw_tx = make_producer(
        KAFKA, client_id="bench-raw-tx", transactional_id=f"bench-raw-tx.{scratch.schema}"
    )
    raw_plain = make_producer(KAFKA, client_id="bench-raw")
    relay_task = asyncio.create_task(relay.run())
    rounds: dict[str, list[Sample]] = {"relay": [], "tx": [], "plain": []}
    try:
        await asyncio.wait_for(relay.idle.wait(), 60)  # leads, reconciled, waiting
        for producer in (raw_tx, raw_plain):
            await producer.start()
            # one warm-up batch (metadata, the transaction coordinator), not counted
            await _raw_round(producer, records[:BATCH])
        for _ in range(ROUNDS):
            rounds["relay"].append(await _relay_round(relay, conn))
            rounds["tx"].append(await _raw_round(raw_tx, records))
            rounds["plain"].append(await _raw_round(raw_plain, records))
        for name, samples in rounds.items():
            print(
                f"  relay section, {name}: "
                + ", ".join(f"{s.rate:,.0f}/s {s.cpu_us:.0f} us" for s in samples)
            )
        _print_paired("relay section", rounds["relay"], rounds["tx"])
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        for producer in (raw_tx, raw_plain):
            await producer.stop()
        await conn.close()
    relay_m, tx_m, plain_m = (_median(rounds[k]) for k in ("relay", "tx", "plain"))
    size = round(statistics.mean(len(value) for _, value, _, _ in records))
    rows = [
        Row(
            f"relay: outbox -> Kafka, transactional, batches of {BATCH}, checkpoints "
            f"(CPU {relay_m.cpu_us:.0f} us/event)",
            relay_m.rate,
            "events/s",
            f"raw aiokafka, transactional, same settings, records and batches "
            f"(CPU {tx_m.cpu_us:.0f} us/event)",
            tx_m.rate,
        ),
        Row(
            f"(reference) raw aiokafka, idempotent without transactions "
            f"(CPU {plain_m.cpu_us:.0f} us/event)",
            plain_m.rate,
            "events/s",
            "raw transactional above",
            tx_m.rate,
        ),
    ]
    # The JVM needs more records than N to reach its rate: its own figure at PERF_RECORDS.
    perf = producer_performance(scratch.topic, PERF_RECORDS, size)
    if perf is not None:
        rows.append(
            Row(
                f"(reference) Kafka ProducerPerformance, {PERF_RECORDS} records, idempotent",
                perf[0],
                "records/s",
                "raw aiokafka idempotent above",
                plain_m.rate,
                latencies=perf[1],
            )
        )
    return rows, size


def kafka_version() -> str:
    pom = (ROOT / "deploy" / "local" / "pom.xml").read_text()
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    return found.group(1) if found else "4.1.1"


def tools_classpath() -> str | None:
    """Kafka's tools jar of the broker's version (fetched by the same pom stack.sh uses)."""
    version = kafka_version()
    libs = ROOT / ".local" / "kafka-tools-libs"
    if not (libs / f"kafka-tools-{version}.jar").exists():
        if shutil.which("mvn") is None:
            return None
        done = subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(ROOT / "deploy" / "local" / "pom-tools.xml"),
                f"-Dkafka.version={version}",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
            ],
            capture_output=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            return None
    return f"{libs}/*"


def producer_performance(topic: str, count: int, size: int) -> tuple[float, list[float]] | None:
    classpath = tools_classpath()
    if classpath is None or shutil.which("java") is None:
        print("  (ProducerPerformance skipped: no java or no Kafka tools jar)")
        return None
    done = subprocess.run(
        [
            "java",
            "-Xmx256m",
            "-cp",
            classpath,
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(count),
            "--record-size",
            str(size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={KAFKA}",
            "acks=all",
            "enable.idempotence=true",
            "linger.ms=5",
            "max.in.flight.requests.per.connection=5",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    last = [ln for ln in done.stdout.splitlines() if "records sent" in ln]
    if done.returncode != 0 or not last:
        print(f"  (ProducerPerformance failed: {done.stderr.strip()[-300:]})")
        return None
    line = last[-1]
    rate = float(re.search(r"([\d.]+) records/sec", line).group(1))  # type: ignore[union-attr]
    marks = [
        float(re.search(rf"([\d.]+) ms {q}", line).group(1))  # type: ignore[union-attr]
        for q in ("50th", "95th", "99th")
    ]
    return rate, marks


# -- consumer ------------------------------------------------------------------------------


async def produce_events(topic: str, count: int) -> None:
    producer = make_producer(KAFKA, client_id="bench-fill")
    await producer.start()
    try:
        aggregates = [uuid.uuid4() for _ in range(50)]
        seqs = dict.fromkeys(aggregates, 0)
        futures = []
        for n in range(count):
            pid = aggregates[n % len(aggregates)]
            seqs[pid] += 1
            payload = registered(n, pid)
            e = Envelope(
                id=uuid.uuid4(),
                source="/datapark/bench",
                type=payload.event_type,
                subject=str(pid),
                time=datetime.now(UTC),
                data=payload.to_data(),
                aggseq=seqs[pid],
                prevhash="0" * 64,
            ).sealed()
            futures.append(await producer.send(topic, e.value(), key=e.key, headers=e.headers()))
        for future in futures:
            await future
    finally:
        await producer.stop()


class _TimedConsumer(EventConsumer):
    """EventConsumer as it runs, telling the bench when the records it was given are applied
    (the database transaction of the last batch committed)."""

    def __init__(self, target: int, **options: Any) -> None:
        super().__init__(**options)
        self.target = target
        self.seen = 0
        self.started: tuple[float, float] | None = None
        self.done = asyncio.Event()

    async def process_batch(self, records: list[Any], producer: Any) -> None:
        if self.started is None:
            self.started = (time.perf_counter(), time.process_time())
        await super().process_batch(records, producer)
        self.seen += len(records)
        if self.seen >= self.target:
            self.done.set()


async def _datapark_consumer(database: Database, scratch: Scratch, handler: Any) -> Sample:
    consumer = _TimedConsumer(
        N,
        group_id=f"bench-{scratch.schema}-{uuid.uuid4().hex[:6]}",
        topics=(scratch.consume,),
        bootstrap=KAFKA,
        database=database,
        inbox=scratch.tables.inbox,
        handlers={ParticipantRegistered.event_type: handler},
        dlq_topic=scratch.dlq,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumer.done.wait(), 300)
        assert consumer.started is not None
        return Sample.of(N, *consumer.started)
    finally:
        consumer.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)


async def _hand_written_consumer(
    conn: asyncpg.Connection, scratch: Scratch, by_hand: HandStatement
) -> Sample:
    """What EventConsumer does, written by hand on aiokafka and one asyncpg connection: a
    group member reading committed records, per polled partition batch the parse and
    validation, one transaction with the inbox insert and the handler's insert per fresh
    record, then one offset commit per poll."""
    consumer = AIOKafkaConsumer(
        scratch.consume,
        bootstrap_servers=KAFKA,
        group_id=f"bench-hand-{scratch.schema}-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        seen = 0
        started: tuple[float, float] | None = None
        while seen < N:
            polled = await consumer.getmany(timeout_ms=500, max_records=500)
            if polled and started is None:
                started = (time.perf_counter(), time.process_time())
            done = {}
            for tp, records in polled.items():
                await _apply_by_hand(conn, scratch, records, by_hand)
                done[tp] = records[-1].offset + 1
                seen += len(records)
            if done:
                await consumer.commit(done)
        assert started is not None
        return Sample.of(N, *started)
    finally:
        await consumer.stop()


async def bench_consumer(database: Database, scratch: Scratch) -> list[Row]:
    """EventConsumer (contract validation, inbox, the handler's statement per record through the
    session) beside the same consumer written by hand (aiokafka + asyncpg: the same parse,
    statements, transactions and offset commits), ROUNDS rounds alternating, medians with CPU
    per record, for two handlers: one INSERT, and the participant projection every service
    runs (``participant_subscriptions``: an upsert guarded by aggseq). For reference the
    statements alone by hand over records read beforehand (no Kafka in the timing) and a raw
    consume."""
    await scratch.reset(database)
    await produce_events(scratch.consume, N)
    insert_applied = text(
        f'INSERT INTO "{scratch.schema}".applied (event_id, subject, aggseq) '
        "VALUES (:id, :subject, :aggseq)"
    )

    async def apply(session: Any, envelope: Envelope, payload: Any) -> None:
        await session.execute(
            insert_applied,
            {"id": envelope.id, "subject": envelope.subject, "aggseq": envelope.aggseq},
        )

    project = participant_subscriptions(scratch.participants).handlers()[
        ParticipantRegistered.event_type
    ]
    kinds: dict[str, tuple[Any, HandStatement]] = {
        "insert": (apply, _insert_applied_by_hand),
        "projection": (project, _project_by_hand),
    }
    conn = await asyncpg.connect(DSN)
    rounds: dict[str, list[Sample]] = {
        f"{kind} {side}": [] for kind in kinds for side in ("datapark", "hand", "statements")
    }
    try:
        raw, raw_rate = await raw_consume(scratch.consume)
        for _ in range(ROUNDS):
            for kind, (handler, by_hand) in kinds.items():
                await scratch.reset(database)
                rounds[f"{kind} datapark"].append(
                    await _datapark_consumer(database, scratch, handler)
                )
                await _assert_applied(conn, scratch, kind)
                await scratch.reset(database)
                rounds[f"{kind} hand"].append(await _hand_written_consumer(conn, scratch, by_hand))
                await _assert_applied(conn, scratch, kind)
                await scratch.reset(database)
                wall, cpu = time.perf_counter(), time.process_time()
                await hand_written(conn, scratch, raw, by_hand)
                rounds[f"{kind} statements"].append(Sample.of(N, wall, cpu))
        for name, samples in rounds.items():
            print(
                f"  consumer section, {name}: "
                + ", ".join(f"{s.rate:,.0f}/s {s.cpu_us:.0f} us" for s in samples)
            )
        for kind in kinds:
            _print_paired(
                f"consumer section, {kind}", rounds[f"{kind} datapark"], rounds[f"{kind} hand"]
            )
    finally:
        await conn.close()
    rows: list[Row] = []
    labels = {
        "insert": "one INSERT in the handler",
        "projection": "the participant projection's upsert (every service's handler)",
    }
    for kind, label in labels.items():
        dp, hand, statements = (
            _median(rounds[f"{kind} {side}"]) for side in ("datapark", "hand", "statements")
        )
        rows += [
            Row(
                f"consumer, {label}: validate + inbox + handler (CPU {dp.cpu_us:.0f} us/record)",
                dp.rate,
                "records/s",
                "the same consumer by hand, aiokafka + asyncpg: same parse, statements, "
                f"transactions, offset commits (CPU {hand.cpu_us:.0f} us/record)",
                hand.rate,
            ),
            Row(
                f"(reference) consumer, {label}, beside the statements alone by hand, records "
                f"read beforehand (CPU {statements.cpu_us:.0f} us/record)",
                dp.rate,
                "records/s",
                "same parse + statements, hand-written asyncpg, no Kafka",
                statements.rate,
            ),
        ]
    rows.append(Row("(reference) raw consume", raw_rate, "records/s", "", None))
    return rows


async def _assert_applied(conn: asyncpg.Connection, scratch: Scratch, kind: str) -> None:
    """Every record applied once: N inserted rows, or every participant at its last aggseq
    (the aggseqs of each aggregate's last event add up to N)."""
    if kind == "insert":
        applied = await conn.fetchval(f'SELECT count(*) FROM "{scratch.schema}".applied')
    else:
        applied = await conn.fetchval(
            f'SELECT coalesce(sum(aggseq), 0) FROM "{scratch.schema}".participants'
        )
    if applied != N:
        raise RuntimeError(f"the round applied {applied} of {N} records ({kind})")


async def raw_consume(topic: str) -> tuple[list[Any], float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [
            TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0, 1, 2}
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        total = sum(ends.values())
        found: list[Any] = []
        started = time.perf_counter()
        while len(found) < total:
            for records in (await consumer.getmany(timeout_ms=500, max_records=BATCH)).values():
                found.extend(records)
        return found, len(found) / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def hand_written(
    conn: asyncpg.Connection, scratch: Scratch, records: list[Any], by_hand: HandStatement
) -> None:
    """What EventConsumer does per polled batch, by hand, over records read beforehand."""
    for at in range(0, len(records), BATCH):
        await _apply_by_hand(conn, scratch, records[at : at + BATCH], by_hand)


async def _apply_by_hand(
    conn: asyncpg.Connection, scratch: Scratch, records: list[Any], by_hand: HandStatement
) -> None:
    """Parse and validate each record, then one transaction with the inbox insert and the
    handler's statement per fresh record."""
    inbox = f'"{scratch.schema}".inbox'
    batch = []
    for r in records:
        e = Envelope.from_kafka(r.key, r.value, list(r.headers))
        batch.append((e, r, payload_model(e.type).model_validate(e.data)))
    async with conn.transaction():
        fresh = set(
            await conn.fetchval(
                f"""WITH i AS (INSERT INTO {inbox}
                      (consumer, event_id, event_type, topic, partition, "offset")
                    SELECT 'bench', * FROM unnest($1::uuid[], $2::text[], $3::text[],
                                                  $4::int[], $5::bigint[])
                    ON CONFLICT DO NOTHING RETURNING event_id)
                    SELECT coalesce(array_agg(event_id), '{{}}') FROM i""",
                [e.id for e, _, _ in batch],
                [e.type for e, _, _ in batch],
                [r.topic for _, r, _ in batch],
                [r.partition for _, r, _ in batch],
                [r.offset for _, r, _ in batch],
            )
        )
        for e, _, payload in batch:  # the handler's statement, once per fresh record
            if _take(fresh, e.id):
                await by_hand(conn, scratch, e, payload)


HandStatement = Callable[[asyncpg.Connection, Scratch, Envelope, Any], Awaitable[None]]


async def _insert_applied_by_hand(
    conn: asyncpg.Connection, scratch: Scratch, e: Envelope, payload: Any
) -> None:
    await conn.execute(
        f'INSERT INTO "{scratch.schema}".applied (event_id, subject, aggseq) VALUES ($1, $2, $3)',
        e.id,
        e.subject,
        e.aggseq,
    )


@functools.cache
def _projection_sql(schema: str) -> str:
    """``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE aggseq < excluded.aggseq`` of the
    projection table's columns (the first is the key), written once per run."""
    columns = [c.name for c in participant_projection_table(MetaData()).columns]
    return (
        f'INSERT INTO "{schema}".participants ({", ".join(columns)}) '
        f"VALUES ({', '.join(f'${n}' for n in range(1, len(columns) + 1))}) "
        "ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        + " WHERE participants.aggseq < excluded.aggseq"
    )


async def _project_by_hand(
    conn: asyncpg.Connection, scratch: Scratch, e: Envelope, payload: Any
) -> None:
    """The participant projection's upsert (``newer_row_upsert``) written for asyncpg."""
    await conn.execute(
        _projection_sql(scratch.schema),
        payload.participant_id,
        payload.name,
        payload.kind,
        payload.uscc,
        payload.region_code,
        payload.operating_region_code,
        list(payload.roles),
        payload.park_member,
        payload.group_id,
        payload.status,
        e.aggseq,
        payload.occurred_at,
    )


def _take(fresh: set[uuid.UUID], event_id: uuid.UUID) -> bool:
    if event_id in fresh:
        fresh.discard(event_id)
        return True
    return False


# -- write path ----------------------------------------------------------------------------


async def bench_write(database: Database, scratch: Scratch) -> tuple[Row, Row | None]:
    await scratch.reset(database)
    outbox = Outbox(scratch.tables, "bench")
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS
    base = datetime(2030, 1, 1, tzinfo=UTC)
    stmt = text(
        f'INSERT INTO "{scratch.schema}".unit_reservations (unit_id, period, status, window_id) '
        "VALUES (:unit, tstzrange(:lo, :hi), 'maintenance', :window)"
    )

    async def client() -> None:
        unit = uuid.uuid4()
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with database.unit_of_work() as session:
                start = base + timedelta(hours=2 * n)
                await session.execute(
                    stmt,
                    {
                        "unit": unit,
                        "lo": start,
                        "hi": start + timedelta(hours=1),
                        "window": uuid.uuid4(),
                    },
                )
                await outbox.append(session, registered(n, unit))
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    tps = len(latencies) / (time.perf_counter() - began)
    same = pgbench(scratch, same_statements=True)
    minimal = pgbench(scratch, same_statements=False)
    row = Row(
        f"write: exclusion insert + Outbox.append, {CLIENTS} clients",
        tps,
        "tx/s",
        "pgbench, the same statements",
        same[0] if same else None,
        latencies,
    )
    ref = None
    if minimal is not None:
        ref = Row(
            "(reference) pgbench minimal tx (exclusion + outbox insert)",
            minimal[0],
            "tx/s",
            "",
            None,
            minimal[1],
        )
    if same is not None:
        print(
            f"  pgbench same statements: {same[0]:.0f} tx/s, p50/p95/p99 "
            f"{pct(same[1], 0.5):.1f}/{pct(same[1], 0.95):.1f}/{pct(same[1], 0.99):.1f} ms"
        )
    return row, ref


def pgbench(scratch: Scratch, *, same_statements: bool) -> tuple[float, list[float]] | None:
    binary = pgbench_binary()
    if binary is None:
        return None
    s = scratch.schema
    payload = registered(0).to_data()
    value = json.dumps(payload).replace("'", "''")
    head = (
        f"INSERT INTO {s}.event_chain_heads (aggregate_id, aggregate_type, last_seq, last_hash) "
        "VALUES (:agg::text, 'participant', 0, repeat('0', 64)) "
        "ON CONFLICT (aggregate_id) DO UPDATE "
        f"SET last_seq = {s}.event_chain_heads.last_seq RETURNING last_seq, last_hash;"
    )
    outbox_insert = (
        f"INSERT INTO {s}.outbox (id, topic, event_type, source, subject, event_time, payload, "
        "aggseq, prevhash, eventhash, dataschema) VALUES (gen_random_uuid(), 'bench', "
        "'datapark.catalog.participant.registered.v1', '/datapark/bench', :agg::text, now(), "
        f"'{value}', 1, repeat('0', 64), md5(random()::text) || md5(random()::text), 'x')"
    )
    script = [
        "\\set n random(1, 2000000000)",
        "\\set agg random(1, 2000000000)",
        "BEGIN;",
        f"INSERT INTO {s}.unit_reservations (unit_id, period, status, window_id) VALUES "
        "(gen_random_uuid(), tstzrange(now() + :n * interval '1 second', "
        "now() + :n * interval '1 second' + interval '1 hour'), 'maintenance', "
        "gen_random_uuid());",
    ]
    if same_statements:
        script += [
            head,
            f"WITH stored AS ({outbox_insert}), advanced AS (UPDATE {s}.event_chain_heads "
            "SET last_seq = last_seq + 1, last_hash = repeat('1', 64) WHERE aggregate_id = "
            ":agg::text) SELECT pg_notify('bench', '');",
        ]
    else:
        script.append(outbox_insert + ";")
    script.append("END;")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tx.sql"
        path.write_text("\n".join(script) + "\n")
        return run_pgbench(binary, path, "datapark_test", clients=CLIENTS, seconds=SECONDS)


# -- event path ----------------------------------------------------------------------------


async def bench_event_path(database: Database, scratch: Scratch) -> list[Row]:
    await scratch.reset(database)
    outbox = Outbox(scratch.tables, "bench")
    arrived: dict[uuid.UUID, float] = {}
    wake = asyncio.Event()

    async def seen(session: Any, envelope: Envelope, payload: Any) -> None:
        arrived[envelope.id] = time.perf_counter()
        wake.set()

    consumer = EventConsumer(
        group_id=f"bench-e2e-{scratch.schema}",
        topics=(scratch.echo,),
        bootstrap=KAFKA,
        database=database,
        inbox=scratch.tables.inbox,
        handlers={ParticipantRegistered.event_type: seen},
        dlq_topic=scratch.dlq,
    )
    relay = OutboxRelay(
        service="bench", schema=scratch.schema, database_url=URL, bootstrap=KAFKA, poll_seconds=1.0
    )
    latencies: list[float] = []
    relay_task = asyncio.create_task(relay.run())
    consumer_task = asyncio.create_task(consumer.run())
    try:
        # Warm up: one event through, so the group has joined and the relay leads.
        async def one() -> float:
            wake.clear()
            started = time.perf_counter()
            async with database.unit_of_work() as session:
                e = await outbox.append(session, registered(0))
                await session.execute(
                    text(f'UPDATE "{scratch.schema}".outbox SET topic = :t WHERE id = :id'),
                    {"t": scratch.echo, "id": e.id},
                )
            while e.id not in arrived:
                await asyncio.wait_for(wake.wait(), 60)
                wake.clear()
            return (arrived[e.id] - started) * 1000

        await one()
        for _ in range(SAMPLES):
            latencies.append(await one())
            await asyncio.sleep(0.01)
    finally:
        consumer.stop()
        for task in (consumer_task, relay_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    raw = await raw_round_trip(scratch.echo, transactional=True)
    plain = await raw_round_trip(scratch.echo, transactional=False)
    return [
        Row(
            "event path: commit -> relay -> Kafka -> consumer handler",
            pct(latencies, 0.99),
            "ms p99",
            "raw transactional produce -> read_committed consume p99",
            pct(raw, 0.99),
            latencies,
            higher_is_better=False,
        ),
        Row(
            "(reference) raw transactional produce -> read_committed consume",
            pct(raw, 0.5),
            "ms p50",
            "",
            None,
            raw,
            higher_is_better=False,
        ),
        Row(
            "(reference) raw produce (send_and_wait) -> consume, no transaction",
            pct(plain, 0.5),
            "ms p50",
            "",
            None,
            plain,
            higher_is_better=False,
        ),
    ]


async def raw_round_trip(topic: str, *, transactional: bool) -> list[float]:
    """A record's produce -> consume round trip on a bare producer and reader. Transactional:
    as the relay sends and consumers read (begin, send, commit, then the send's ack; read
    committed), the event path's baseline; otherwise send_and_wait and read uncommitted."""
    tag = uuid.uuid4().hex[:6]
    producer = make_producer(
        KAFKA,
        client_id="bench-rtt",
        transactional_id=f"bench-rtt.{tag}" if transactional else None,
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed" if transactional else "read_uncommitted",
    )
    await producer.start()
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
        out: list[float] = []
        for n in range(SAMPLES + 1):
            marker = f"rtt-{tag}-{n}".encode()
            started = time.perf_counter()
            if transactional:
                await producer.begin_transaction()
                future = await producer.send(topic, marker, key=b"rtt")
                await producer.commit_transaction()
                await future
            else:
                await producer.send_and_wait(topic, marker, key=b"rtt")
            await read_back(consumer, marker, timeout_ms=1000)
            if n:
                out.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
        return out
    finally:
        await consumer.stop()
        await producer.stop()


# -- report --------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| path | datapark | baseline, same run | ratio | p50 / p95 / p99 ms |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        base = f"{r.baseline_name}: {r.baseline:,.1f}" if r.baseline else r.baseline_name or "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        lat = (
            (
                f"{pct(r.latencies, 0.5):.1f} / {pct(r.latencies, 0.95):.1f} / "
                f"{pct(r.latencies, 0.99):.1f}"
            )
            if r.latencies
            else "-"
        )
        lines.append(f"| {r.path} | {r.figure:,.1f} {r.unit} | {base} | {ratio} | {lat} |")
    return lines


def write_doc(lines: Sequence[str]) -> None:
    write_section(DOC, BEGIN, END, lines)


SECTIONS = ("booking", "relay", "consumer", "write", "event")


async def main(only: str | None) -> None:
    setup_tracing("bench", None)  # as in the services: a provider, no exporter
    database = Database(URL, pool_size=CLIENTS)
    scratch = Scratch()
    await scratch.create(database)
    rows: list[Row] = []
    size = 0
    try:
        if only in (None, "booking"):
            import booking  # bench/booking.py: rental over HTTP beside pgbench

            rows += [Row(**found) for found in await booking.measure()]  # type: ignore[arg-type]
        if only in (None, "relay"):
            relay_rows, size = await bench_relay(database, scratch)
            rows += relay_rows
        if only in (None, "consumer"):
            rows += await bench_consumer(database, scratch)
        if only in (None, "write"):
            write_row, minimal = await bench_write(database, scratch)
            rows += [write_row, *([minimal] if minimal else [])]
        if only in (None, "event"):
            rows += await bench_event_path(database, scratch)
    finally:
        await scratch.drop(database)
        await database.dispose()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Event and write paths (`bench/paths.py`)",
        "",
        f"Run {when} on {machine()}; load generator on the same cores; load average "
        f"{os.getloadavg()[0]:.1f} at the end (other work on the machine). {N} events"
        + (f" of {size} bytes" if size else "")
        + f", {CLIENTS} clients for {SECONDS:.0f} s on the write path. Ratios are "
        "datapark / baseline (for latency: baseline / datapark).",
        "",
        *table(rows),
    ]
    print("\n".join(lines))
    if only is None:
        write_doc(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=SECTIONS, help="one section (for make profile)")
    asyncio.run(main(parser.parse_args().only))
