"""Shared pieces for tests that run the eventing spine on tables of their own: a scratch
schema holding the outbox, inbox and DLQ tables, a sample event, and a context that runs
workers as tasks and cancels them on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, text

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_kit.db import Database


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
