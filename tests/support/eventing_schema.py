"""Shared pieces for tests that run the eventing spine on tables of their own: a scratch
schema holding the outbox, inbox and DLQ tables, a sample event, a context that runs
workers as tasks and cancels them on the way out, the count of outbox rows not yet sent, a
topic read back from its start, and scratch topics deleted."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import MetaData, func, select, text

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_kit.db import Database
from support.helpers import KAFKA


@contextlib.asynccontextmanager
async def scratch_eventing_schema(
    database_url: str, prefix: str, *, pool_size: int = 5, extra_ddl: Sequence[str] = ()
) -> AsyncIterator[tuple[Database, EventingTables, str]]:
    """A fresh schema ``<prefix>_<random>`` with the eventing tables (and any ``extra_ddl``,
    where ``{schema}`` names it), dropped with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    tables = eventing_tables(MetaData(schema=schema))
    database = Database(database_url, pool_size=pool_size)
    async with database.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(tables.outbox.metadata.create_all)
        for statement in extra_ddl:
            await conn.execute(text(statement.format(schema=schema)))
    try:
        yield database, tables, schema
    finally:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await database.dispose()


def participant_registered(pid: uuid.UUID, name: str) -> ParticipantRegistered:
    """A pending person's registration: the sample event these tests send through the spine."""
    return ParticipantRegistered(
        participant_id=pid,
        name=name,
        uscc=None,
        kind="person",
        region_code="110105",
        roles=("customer",),
        park_member=False,
        status="pending",
        occurred_at=datetime.now(UTC),
    )


@contextlib.asynccontextmanager
async def running(*coros: Any) -> AsyncIterator[None]:
    """Run each coroutine as a task for the body of the ``async with``; cancel them after."""
    tasks = [asyncio.create_task(c) for c in coros]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def unsent(database: Database, tables: EventingTables) -> int:
    """How many outbox rows no relay has marked sent yet."""
    async with database.unit_of_work() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.sent_at.is_(None))
            )
            or 0
        )


async def read_topic(
    topic: str, partitions: int = 1, *, isolation: str = "read_uncommitted"
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic``'s ``partitions`` from the start up to their ends as they are
    now, as a reader at ``isolation`` sees them."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA,
        enable_auto_commit=False,
        isolation_level=isolation,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(tps)
        consumer.assign(tps)
        for tp in tps:  # no await between: the fetcher never resets the positions
            consumer.seek(tp, 0)
        todo = {tp for tp in tps if ends[tp] > 0}
        while todo:
            for records in (await consumer.getmany(*todo, timeout_ms=1000)).values():
                found.extend(records)
            todo = {tp for tp in todo if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return found


async def delete_topics(*names: str) -> None:
    """Delete the scratch topics ``names`` from the local Kafka."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()
