"""The pool's pre-ping (``datapark_kit.db``): one round trip per checkout, and a connection the
server has dropped is still found dead and replaced before a unit of work uses it."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from datapark_kit.db import Database, asyncpg_dsn

pytestmark = pytest.mark.integration


async def test_a_connection_the_server_dropped_is_replaced_at_checkout(
    migrated_database: str,
) -> None:
    database = Database(migrated_database, pool_size=1)
    try:
        async with database.unit_of_work() as session:
            first = (await session.execute(text("select pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(asyncpg_dsn(migrated_database))
        try:
            assert await admin.fetchval("select pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        # the pooled connection is dead: the ping finds it and the pool connects again
        async with database.unit_of_work() as session:
            second = (await session.execute(text("select pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await database.dispose()


async def test_the_ping_is_one_statement_outside_any_transaction(migrated_database: str) -> None:
    database = Database(migrated_database, pool_size=1)
    sent: list[str] = []
    try:
        async with database.unit_of_work() as session:
            await session.execute(text("select 1"))
        async with database.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            raw.add_query_logger(lambda record: sent.append(record.query))
        async with database.unit_of_work() as session:
            await session.execute(text("select 2"))
    finally:
        await database.dispose()
    # checkout: the ping alone (";"), then the unit of work's BEGIN, statement and COMMIT
    assert sent[0] == ";"
    assert sent[1].upper().startswith("BEGIN")
