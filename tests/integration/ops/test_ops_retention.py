"""Retention of the platform tables: sent outbox rows and old idempotency keys go, in bounded
batches; unsent rows, fresh keys and the inbox stay; the metrics count what went."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, text

from datapark_eventing.retention import RetentionPolicy, RetentionSweeper
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_kit.db import Database
from datapark_kit.idempotency import idempotency_table

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def platform_schema(
    migrated_database: str,
) -> AsyncIterator[tuple[Database, EventingTables, str]]:
    schema = f"ret_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=schema)
    tables = eventing_tables(metadata)
    idempotency_table(metadata)
    database = Database(migrated_database, pool_size=2)
    async with database.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield database, tables, schema
    async with database.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await database.dispose()


async def _outbox_row(database: Database, schema: str, sent_at: datetime | None) -> None:
    async with database.unit_of_work() as session:
        await session.execute(
            text(
                f'INSERT INTO "{schema}".outbox (id, topic, event_type, source, subject, '
                "event_time, payload, aggseq, prevhash, eventhash, dataschema, sent_at) VALUES "
                "(:id, 't', 'e', 's', 'x', :at, '{}', 1, 'p', 'h', 'd', :sent)"
            ),
            {"id": uuid.uuid4(), "at": NOW, "sent": sent_at},
        )


async def _key(database: Database, schema: str, created_at: datetime) -> None:
    async with database.unit_of_work() as session:
        await session.execute(
            text(
                f'INSERT INTO "{schema}".idempotency_keys (principal, key, request_hash, path, '
                "created_at) VALUES ('p', :key, 'h', '/v1/x', :at)"
            ),
            {"key": uuid.uuid4().hex, "at": created_at},
        )


async def _count(database: Database, sql: str) -> int:
    async with database.unit_of_work() as session:
        return int(await session.scalar(text(sql)) or 0)


def _pruned(service: str, table: str) -> float:
    value = REGISTRY.get_sample_value(
        "datapark_retention_pruned_total", {"service": service, "table": table}
    )
    return value or 0.0


async def test_sent_rows_and_old_keys_go_in_bounded_batches_the_rest_stays(
    platform_schema,
) -> None:
    database, tables, schema = platform_schema
    for _ in range(7):
        await _outbox_row(database, schema, NOW - timedelta(days=8))  # sent long ago
    await _outbox_row(database, schema, NOW - timedelta(hours=1))  # sent recently
    await _outbox_row(database, schema, None)  # never sent: must stay
    for _ in range(3):
        await _key(database, schema, NOW - timedelta(hours=25))
    await _key(database, schema, NOW - timedelta(hours=2))
    async with database.unit_of_work() as session:
        await session.execute(
            tables.inbox.insert().values(
                consumer="c",
                event_id=uuid.uuid4(),
                event_type="e",
                topic="t",
                partition=0,
                offset=1,
            )
        )
    service = f"svc-{schema}"
    sweeper = RetentionSweeper(
        database,
        service=service,
        schema=schema,
        policy=RetentionPolicy(batch_size=2, max_batches=2),
    )

    first = await sweeper.sweep_once(NOW)
    assert first == {"outbox": 4, "idempotency_keys": 3}  # at most 2 batches of 2 per pass
    assert _pruned(service, "outbox") == 4
    backlog = REGISTRY.get_sample_value(
        "datapark_retention_backlog", {"service": service, "table": "outbox"}
    )
    assert backlog == 3

    second = await sweeper.sweep_once(NOW)
    assert second == {"outbox": 3, "idempotency_keys": 0}
    outbox = f'SELECT count(*) FROM "{schema}".outbox'
    assert await _count(database, outbox) == 2
    unsent = f'SELECT count(*) FROM "{schema}".outbox WHERE sent_at IS NULL'
    assert await _count(database, unsent) == 1
    assert await _count(database, f'SELECT count(*) FROM "{schema}".idempotency_keys') == 1
    assert await _count(database, f'SELECT count(*) FROM "{schema}".inbox') == 1
    assert _pruned(service, "idempotency_keys") == 3
