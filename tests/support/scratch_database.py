"""A scratch database for volume tests, migration tests and benchmarks: created beside the
test database, migrated to the latest schema of the services asked for (or to the revision
a migration test starts from), dropped afterwards (never the real ``datapark`` or
``datapark_test`` tables)."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
SERVER = f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}"


async def _admin(statement: str) -> None:
    engine = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def alembic(url: str, service: str, *args: str) -> None:
    """Run ``alembic <args>`` with ``service``'s migrations against the database at ``url``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "alembic",
        "-c",
        f"services/{service}/alembic.ini",
        *args,
        cwd=ROOT,
        env={**os.environ, "DATAPARK_MIGRATIONS_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"alembic {' '.join(args)} of {service} failed:\n{output.decode()}")


@asynccontextmanager
async def scratch_database(
    services: Sequence[str], *, revision: str = "head"
) -> AsyncIterator[str]:
    """Yield the URL of a fresh database holding the schemas of ``services`` migrated to
    ``revision``."""
    name = f"datapark_scratch_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = f"{SERVER}/{name}"
        for service in services:
            await alembic(url, service, "upgrade", revision)
        yield url
    finally:
        await _drop(name)


async def _drop(name: str, attempts: int = 40) -> None:
    """Drop the scratch database, waiting out an autovacuum worker: FORCE cannot terminate
    one for a role that is not a superuser (Postgres refuses with "must be a member of the role
    whose process is being terminated"; a volume test's inserts wake autovacuum in the scratch
    database), and the worker leaves within moments."""
    for attempt in range(attempts):
        try:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError as refused:
            if "pg_signal_backend" not in str(refused) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.25)
