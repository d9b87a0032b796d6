"""Alembic glue shared by every service: each service migrates only its own schema and keeps
its version table inside that schema."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(context: Any, *, metadata: MetaData, schema: str, url: str) -> None:
    """Run offline (SQL script) or online against ``url``; called from a service's env.py."""
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": lambda name, type_, _parent: type_ != "schema" or name == schema,
        "compare_type": True,
    }
    override = os.environ.get("DATAPARK_MIGRATIONS_DATABASE_URL")
    url = override or url
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def apply(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(apply)
        await engine.dispose()

    asyncio.run(online())
