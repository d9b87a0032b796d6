"""CPU per lease of writing its receivables in subsidy (issue #14, the lease -> claim path).

A lease's activation writes its schedule (36 receivables for a three-year financing) through
``LeaseRepository.add_receivables``. Timed here in this process (``time.process_time``, so the
figure is the client's CPU: SQLAlchemy and asyncpg, not Postgres), one transaction per lease,
three ways on the same rows:

- ``unnest`` (``add_receivables`` as it is): one INSERT ... SELECT FROM unnest of one array
  a column (``leases.repository.unnest_insert``), a text statement whose compiled form
  SQLAlchemy caches and asyncpg's prepared statement is reused, whatever the count;
- ``executemany``: ``postgresql.insert(table).on_conflict_do_nothing()`` executed for the list
  of rows (one single-row statement; SQLAlchemy still compiles it on every call: its
  PostgreSQL INSERT has no cache key);
- ``multi-row VALUES`` (before): ``insert(...).values(rows)``, whose 360 bound parameters
  SQLAlchemy compiles again for every lease.

Nothing real is touched: the rows go into a temporary copy of ``subsidy.lease_receivables``
(``CREATE TEMP TABLE ... (LIKE ...)``; the SQLAlchemy statements pointed at it by
``schema_translate_map``, the text statement built by ``unnest_insert`` for a copy of the table
in ``pg_temp``) on the development Postgres's test database, gone with the connection. Needs
subsidy's migrations applied there (``make migrate-test``).

Run: ``uv run python bench/lease_receivables.py [--leases N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from datapark_subsidy.leases.models import LeaseReceivableRecord
from datapark_subsidy.leases.repository import unnest_insert

URL = (
    "postgresql+asyncpg://datapark:datapark@127.0.0.1:"
    f"{os.environ.get('DATAPARK_PG_PORT', '54329')}/datapark_test"
)
SCHEDULE = 36
TABLE: Table = LeaseReceivableRecord.__table__  # type: ignore[assignment]  # a Table
COLUMNS = [column.name for column in TABLE.columns]
UNNEST = unnest_insert(TABLE.to_metadata(MetaData(), schema="pg_temp"))

Write = Callable[[AsyncSession, Sequence[dict[str, Any]]], Awaitable[None]]


def schedule(lease_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "lease_id": lease_id,
            "kind": "instalment",
            "period": period,
            "due_on": date(2027, 1, 1) + timedelta(days=30 * period),
            "amount": Decimal("3472.22"),
            "interest": Decimal("416.67"),
            "fees": Decimal("0.00"),
            "opening_balance": Decimal("100000.00") - Decimal("2777.78") * (period - 1),
            "fell_due_on": None,
            "paid_on": None,
        }
        for period in range(1, SCHEDULE + 1)
    ]


async def unnest(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    # as LeaseRepository.add_receivables binds it
    await session.execute(UNNEST, {name: [row[name] for row in rows] for name in COLUMNS})


async def executemany(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(TABLE).on_conflict_do_nothing(), list(rows))


async def multi_row_values(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(LeaseReceivableRecord).values(list(rows)).on_conflict_do_nothing())


WAYS: dict[str, Write] = {
    "unnest of arrays, cached text statement (add_receivables)": unnest,
    "single-row postgresql.insert, executemany": executemany,
    "multi-row VALUES (before)": multi_row_values,
}


async def main(leases: int) -> None:
    # One connection (the temporary table is the connection's own).
    engine = create_async_engine(URL, pool_size=1, max_overflow=0).execution_options(
        schema_translate_map={"subsidy": "pg_temp"}
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "create temp table lease_receivables "
                    "(like subsidy.lease_receivables including all)"
                )
            )
        sessions = async_sessionmaker(engine)
        print(f"{SCHEDULE} receivables a lease, {leases} leases, a transaction each")
        print("| way | CPU ms per lease | wall ms per lease |\n|---|---|---|")
        for name, write in WAYS.items():
            for _ in range(2):  # the first pass warms caches and prepared statements
                batches = [schedule(uuid.uuid4()) for _ in range(leases)]
                cpu, wall = time.process_time(), time.perf_counter()
                for rows in batches:
                    async with sessions() as session, session.begin():
                        await write(session, rows)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            async with engine.begin() as conn:
                written = (
                    await conn.execute(text("select count(*) from pg_temp.lease_receivables"))
                ).scalar_one()
                await conn.execute(text("truncate pg_temp.lease_receivables"))
            assert written == 2 * leases * SCHEDULE, (name, written)
            print(f"| {name} | {cpu / leases * 1000:.2f} | {wall / leases * 1000:.2f} |")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leases", type=int, default=200)
    asyncio.run(main(parser.parse_args().leases))
