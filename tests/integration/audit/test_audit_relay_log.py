"""A clean log is one the platform itself wrote: events appended through the real outbox in a
scratch schema, published by the real relay (with its signed checkpoints) to scratch topics,
verify without a single violation, every record vouched for by a checkpoint, and the
cross-service invariants hold.

(The shared development log is not clean on purpose: other tests forge records there, marked
``datapark-test-injected``, and call services' handlers without the upstream events; the
auditor rightly reports those, see docs/auditing.md.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import pytest
from sqlalchemy import MetaData, func, select, text
from support.audit_log import (
    ScratchLog,
    budget_entry,
    claim_created,
    lease_activated,
    participant,
)
from support.helpers import KAFKA, eventually

from datapark_audit.cli import run_verify
from datapark_audit.invariants import check
from datapark_audit.log import load_events
from datapark_audit.settings import AuditSettings
from datapark_eventing.outbox import Outbox
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.tables import eventing_tables
from datapark_kit.db import Database

pytestmark = pytest.mark.integration
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
URL = os.environ.get(
    "DATAPARK_TEST_DATABASE_URL",
    f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test",
)


@pytest.mark.parametrize(
    ("every_events", "every_seconds"),
    [(3, 0.2), (1000, 3600.0)],
    ids=["periodic checkpoints", "checkpoint when the relay stops"],
)
async def test_what_the_relay_publishes_verifies_clean_and_is_vouched_for(
    every_events: int, every_seconds: float
) -> None:
    log = await ScratchLog(partitions=3).create()
    schema = f"audit_{uuid.uuid4().hex[:8]}"
    tables = eventing_tables(MetaData(schema=schema))
    database = Database(URL, pool_size=2)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await conn.run_sync(tables.outbox.metadata.create_all)
        outbox = Outbox(tables, "catalog")
        holder, lease_id = uuid.uuid4(), uuid.uuid4()
        payloads = [
            participant(holder),
            lease_activated(lease_id, holder),
            claim_created(uuid.uuid4(), holder, lease_id),
            budget_entry(uuid.uuid4(), holder, cap="9000.00", reserved="0.00", committed="9000.00"),
        ]
        for payload in payloads:  # one transaction each: their times follow one another
            async with database.unit_of_work() as session:
                await outbox.append(session, payload)
        async with database.unit_of_work() as session:
            # the same rows, addressed to this test's scratch topic instead of the platform's
            await session.execute(tables.outbox.update().values(topic=log.data))
        checkpointer = log.checkpointer(every_events=every_events, every_seconds=every_seconds)
        relay = OutboxRelay(
            service="catalog",
            schema=schema,
            database_url=URL,
            bootstrap=KAFKA,
            poll_seconds=0.1,
            checkpoints=checkpointer,
        )
        task = asyncio.create_task(relay.run())
        try:

            async def vouched() -> bool:
                async with database.unit_of_work() as session:
                    left = await session.scalar(
                        select(func.count())
                        .select_from(tables.outbox)
                        .where(tables.outbox.c.sent_at.is_(None))
                    )
                periodic = every_seconds < 1
                return left == 0 and (checkpointer.term_events == len(payloads) or not periodic)

            await eventually(vouched, timeout=30)
        finally:
            task.cancel()  # a graceful stop: the relay vouches for what is still pending
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert checkpointer.term_events == len(payloads)

        settings = AuditSettings(bootstrap=KAFKA)
        result = await run_verify(settings, topic_prefix=log.prefix, require_checkpoints=True)
        assert result.violations == []
        assert result.events == len(payloads) + checkpointer.sequence
        assert checkpointer.sequence >= 1
        assert result.covered_records == len(payloads)
        assert result.uncovered_records == 0
        events = await load_events(settings, topics=[log.data])
        assert len(events) == len(payloads)
        assert check(events) == []
    finally:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await database.dispose()
        await log.delete()
