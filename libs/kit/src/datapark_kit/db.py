"""Database access: one engine per process, one session and transaction per unit of work.

Services and repositories receive an ``AsyncSession`` already inside a transaction; they may
flush, never commit. The HTTP route class (``datapark_kit.uow``) and the Kafka consumer own
the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.util import await_only

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Metadata bound to a service's own Postgres schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN that asyncpg takes, from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _ping(dbapi_connection: Any) -> bool:
    """The pool's pre-ping in one round trip (``;``). SQLAlchemy's asyncpg ping wraps it in
    BEGIN ... ROLLBACK for PgBouncer's transaction mode: three round trips on every checkout,
    a sixth of a booking hold's (#14). datapark runs no transaction-mode pooler (the relay's
    session lock, deploy/k8s/README.md). A failure is translated as SQLAlchemy's own ping
    does, so the pool still sees a dead connection and replaces it."""
    try:
        await_only(dbapi_connection.driver_connection.fetchrow(";"))
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


class Database:
    """The process-wide engine and session factory, created in the app's lifespan."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        # Through the module attribute, so OpenTelemetry's instrumentation of it applies.
        self.engine: AsyncEngine = sa_asyncio.create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, echo=echo
        )
        self.engine.sync_engine.dialect.do_ping = _ping  # type: ignore[method-assign]
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed when the block ends, rolled back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
