"""Outbox relay benchmark: latency from commit to Kafka acknowledgement, and drain throughput.

Each figure is printed beside its baseline from the same run:
- latency with LISTEN/NOTIFY (the relay wakes on commit) vs. polling only (1 s fallback);
- throughput with batches of 200 vs. one row per round trip;
- the cost of exactly once: the relay's Kafka transaction per batch vs. the idempotent
  producer alone (``OutboxRelay(transactional=False)``, the relay before #16).
The events go to a scratch topic ``bench.<hex>.relay`` (deleted at the end) and the outbox
to scratch schemas: the benchmark never writes into a real topic or table.
Run: `make bench` (or `uv run python bench/outbox_relay.py`) with the local stack up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import MetaData, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import Topic
from datapark_eventing.outbox import Outbox
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_eventing.topics import ensure_topics
from datapark_kit.db import Database

PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
KAFKA = f"127.0.0.1:{os.environ.get('DATAPARK_KAFKA_PORT', '9092')}"
URL = f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test"


SCRATCH_TOPIC = f"bench.{uuid.uuid4().hex[:8]}.relay"


class ScratchRegistered(ParticipantRegistered):
    """The participant event, published to this run's scratch topic."""


ScratchRegistered.topic = SCRATCH_TOPIC


def payload(n: int) -> ParticipantRegistered:
    return ScratchRegistered(
        participant_id=uuid.uuid4(),
        name=f"Bench {n}",
        uscc=None,
        kind="person",
        region_code="620102",
        roles=("customer",),
        park_member=False,
        status="pending",
        occurred_at=datetime.now(UTC),
    )


async def schema(database: Database) -> tuple[EventingTables, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    tables = eventing_tables(MetaData(schema=name))
    async with database.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
        await conn.run_sync(tables.outbox.metadata.create_all)
    return tables, name


@contextlib.asynccontextmanager
async def relay_running(relay: OutboxRelay):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def latency(
    database: Database, listen: bool, count: int = 60, transactional: bool = True
) -> list[float]:
    tables, name = await schema(database)
    outbox = Outbox(tables, "bench")
    relay = OutboxRelay(
        service="bench",
        schema=name,
        database_url=URL,
        bootstrap=KAFKA,
        poll_seconds=1.0,
        listen=listen,
        transactional=transactional,
    )
    async with relay_running(relay):
        await asyncio.sleep(2)  # leader elected, producer connected
        for n in range(count):
            async with database.unit_of_work() as session:
                await outbox.append(session, payload(n))
            await asyncio.sleep(0.02)
        await drained(database, tables)
    async with database.unit_of_work() as session:
        rows = (
            await session.execute(select(tables.outbox.c.created_at, tables.outbox.c.sent_at))
        ).all()
    await drop(database, name)
    return sorted((sent - created).total_seconds() * 1000 for created, sent in rows)


async def throughput(
    database: Database, batch: int, count: int = 3000, transactional: bool = True
) -> float:
    tables, name = await schema(database)
    outbox = Outbox(tables, "bench")
    for start in range(0, count, 500):
        async with database.unit_of_work() as session:
            for n in range(start, min(start + 500, count)):
                await outbox.append(session, payload(n))
    relay = OutboxRelay(
        service="bench",
        schema=name,
        database_url=URL,
        bootstrap=KAFKA,
        poll_seconds=0.2,
        batch_size=batch,
        transactional=transactional,
    )
    started = time.perf_counter()
    async with relay_running(relay):
        await drained(database, tables)
    elapsed = time.perf_counter() - started
    await drop(database, name)
    return count / elapsed


async def drained(database: Database, tables: EventingTables) -> None:
    while True:
        async with database.unit_of_work() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.sent_at.is_(None))
            )
        if not left:
            return
        await asyncio.sleep(0.05)


async def drop(database: Database, name: str) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    await ensure_topics(KAFKA, [Topic(SCRATCH_TOPIC, 3, "bench", "id", "bench")])
    database = Database(URL, pool_size=4)
    try:
        notify = await latency(database, listen=True)
        polling = await latency(database, listen=False)
        notify_plain = await latency(database, listen=True, transactional=False)
        batched = await throughput(database, batch=200)
        single = await throughput(database, batch=1)
        batched_plain = await throughput(database, batch=200, transactional=False)
    finally:
        await database.dispose()
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            await admin.delete_topics([SCRATCH_TOPIC])
        finally:
            await admin.close()
    print("outbox relay: commit -> Kafka ack latency (ms), 60 single-event transactions")
    print(f"  {'':<28}{'p50':>10}{'p95':>10}{'max':>10}")
    for label, values in (
        ("LISTEN/NOTIFY", notify),
        ("baseline: polling every 1 s", polling),
        ("baseline: no transaction", notify_plain),
    ):
        print(
            f"  {label:<28}{statistics.median(values):>10.1f}{pct(values, 0.95):>10.1f}"
            f"{max(values):>10.1f}"
        )
    print("outbox relay: drain throughput, 3000 rows already waiting")
    print(f"  batches of 200             {batched:>10.0f} rows/s")
    print(f"  baseline: one row per trip {single:>10.0f} rows/s")
    print(f"  baseline: no transaction   {batched_plain:>10.0f} rows/s (batches of 200)")


if __name__ == "__main__":
    asyncio.run(main())
