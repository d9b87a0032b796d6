"""Database access: one engine per process, one session and transaction per unit of work.

Services and repositories receive an ``AsyncSession`` already inside a transaction; they may
flush, never commit. The HTTP route class (``datapark_kit.uow``) and the Kafka consumer own
the commit.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, Table, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import TextualSelect
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


class _NamedPlaceholders(PGDialect):
    """PostgreSQL's SQL with bare ``:name`` placeholders, the form ``text()`` reads: no
    ``::TYPE`` cast after them (asyncpg's dialect adds those when it compiles the text, from
    the binds' types, as it did for the Core statement)."""

    bind_typing = BindTyping.NONE


_NAMED = _NamedPlaceholders(paramstyle="named")  # type: ignore[no-untyped-call]  # untyped


def constant_statement(statement: UpdateBase) -> TextClause | TextualSelect:
    """``statement`` rendered once to constant SQL text, for a hot path (#14).

    SQLAlchemy gives a ``postgresql.insert(...)`` (with or without ``ON CONFLICT``) no cache
    key, so it compiles it again on every execution (~0.3 ms of CPU for a dozen columns, more
    than running it). The text keeps the statement's SQL and each bind's name and type (so
    JSONB, ARRAY, Range, Numeric and datetime values are processed as before) and, if it has
    ``RETURNING``, its columns: SQLAlchemy compiles it once per process, asyncpg prepares it
    once per connection. Build the statement with ``bindparam()``s, once (see
    ``newer_row_upsert``), and execute the text with the same parameters.

    Refused (``ValueError``): a statement whose execution SQLAlchemy would complete with
    Python-side column defaults, expanding (``IN``) parameters or escaped parameter names:
    the text would lose them.
    """
    compiled = statement.compile(dialect=_NAMED)
    if compiled.insert_prefetch or compiled.update_prefetch:
        missing = [c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise ValueError(f"columns filled by Python-side defaults, give them: {missing}")
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("expanding or literal-execute parameters have no constant text")
    if compiled.escaped_bind_names:
        raise ValueError(f"parameter names need escaping: {compiled.escaped_bind_names}")
    binds = []
    for name, bind in compiled.binds.items():
        if bind.callable is not None:
            raise ValueError(f"parameter {name} takes its value from a callable")
        if bind.required:
            binds.append(bindparam(name, type_=bind.type))
        else:
            binds.append(bindparam(name, bind.value, type_=bind.type))
    clause = text(compiled.string).bindparams(*binds)
    found = set(clause._bindparams)  # the names text() parsed
    if found != set(compiled.binds):
        raise ValueError(f"text() reads other parameters: {sorted(found ^ set(compiled.binds))}")
    returning = compiled.effective_returning
    return clause.columns(*returning) if returning else clause


def table_of(model: type[Any]) -> Table:
    """The ``Table`` a declarative class is mapped to (SQLAlchemy types ``__table__`` as the
    wider ``FromClause``, which the statement builders here do not take)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a Table")
    return table


def bound_insert(table: Table, columns: tuple[str, ...] | None = None) -> Insert:
    """``INSERT INTO table (columns) VALUES (:column, ...)``: each value a ``bindparam`` named
    and typed after its column (every column of the table when ``columns`` is None), the form
    ``constant_statement`` takes."""
    names = columns if columns is not None else tuple(table.c.keys())
    return insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})


def unnest_insert(
    table: Table,
    columns: tuple[str, ...] | None = None,
    *,
    scalars: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> TextClause:
    """``INSERT INTO table (scalars, columns) SELECT :scalar, ..., * FROM unnest(:column, ...)
    ON CONFLICT DO NOTHING [RETURNING ...]``: any number of rows in one statement, each of
    ``columns`` bound as one array (every column of the table but the scalars when None), each
    of ``scalars`` as one value for every row, all named and cast after their columns.

    One text whatever the number of rows, so SQLAlchemy's compiled cache and asyncpg's prepared
    statement serve every call: a consumer's batch of inbox rows, a lease's receivables (36 for
    a three-year financing). A multi-row ``insert(...).values([...])`` is compiled again for
    every call (SQLAlchemy gives it no cache key) and is a new text for every number of rows.
    Built from the table's own metadata, with no input in it."""
    quote = _NAMED.identifier_preparer
    every = tuple(column.name for column in table.columns if column.name not in scalars)
    arrays = columns if columns is not None else every

    def cast(name: str, suffix: str = "") -> str:
        return f"cast(:{name} as {table.c[name].type.compile(dialect=_NAMED)}{suffix})"

    names = ", ".join(quote.format_column(table.c[name]) for name in (*scalars, *arrays))
    selected = ", ".join((*(cast(name) for name in scalars), "*"))
    unnested = ", ".join(cast(name, "[]") for name in arrays)
    tail = ""
    if returning:
        tail = " returning " + ", ".join(quote.format_column(table.c[n]) for n in returning)
    return text(
        f"insert into {quote.format_table(table)} ({names}) "  # noqa: S608 - see the docstring
        f"select {selected} from unnest({unnested}) on conflict do nothing{tail}"
    )


@functools.cache
def newer_row_upsert(
    table: Table,
    columns: tuple[str, ...],
    *,
    insert_only: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> TextClause | TextualSelect:
    """``INSERT INTO table (key, columns, insert_only) VALUES (...) ON CONFLICT (key) DO UPDATE
    SET column = excluded.column, ... WHERE table.aggseq < excluded.aggseq``: a projection's
    row written unless the stored one comes from a newer event (higher ``aggseq``), so
    redelivery and replay never move it back. ``key`` is the table's primary key; the
    parameters are named after the columns. Built and compiled once per table and set of
    columns (``constant_statement``), as a projection applies it for every event.

    ``SET column = excluded.column`` writes the very values the row would have been inserted
    with (none of these tables has an insert trigger); ``insert_only`` columns are written
    when the row is new only.
    """
    key = list(table.primary_key.columns)
    statement = bound_insert(table, (*(c.name for c in key), *columns, *insert_only))
    upsert = statement.on_conflict_do_update(
        index_elements=key,
        set_={name: statement.excluded[name] for name in columns},
        where=table.c.aggseq < statement.excluded.aggseq,
    )
    if returning:
        return constant_statement(upsert.returning(*(table.c[name] for name in returning)))
    return constant_statement(upsert)


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
