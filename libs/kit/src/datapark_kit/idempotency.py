"""Idempotent POSTs with Stripe's semantics.

The first response to ``(principal, Idempotency-Key)`` is stored in the same transaction as
the effect; the same key and body replay it (marked ``Idempotent-Replayed: true``); the same
key with another body is a 422. A pending row is inserted first, so a concurrent second
request with the key waits on the row lock until the first commits, then replays it. Only
successful responses are kept: a failed request rolls back and may be retried with its key.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TextClause,
    Update,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from datapark_kit.errors import Conflict, Unprocessable

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("principal", String(200), nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", LargeBinary, nullable=True),
        Column("response_headers", JSONB, nullable=True),
        Column("path", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("principal", "key"),
    )


def shown_once(response: Response) -> None:
    """Mark a response that carries a secret: not cached, not kept for an idempotent replay."""
    response.headers["Cache-Control"] = "no-store"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


@dataclass
class IdempotencyClaim:
    table: Table
    principal: str
    key: str


class IdempotencyStore:
    """The repository of idempotency rows of one service."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def claim(
        self, session: AsyncSession, *, principal: str, key: str, fingerprint: str, path: str
    ) -> Response | IdempotencyClaim:
        """Claim the key for this request, or return the stored response to replay."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise Unprocessable(
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters",
                field=HEADER,
                code="invalid_idempotency_key",
            )
        t = self.table
        inserted = await session.execute(
            _claim_statement(t),
            {
                "principal": principal,
                "key": key,
                "request_hash": fingerprint,
                "path": path,
                "created_at": datetime.now(UTC),
            },
        )
        if inserted.first() is not None:
            return IdempotencyClaim(t, principal, key)
        row = (
            await session.execute(select(t).where(t.c.principal == principal, t.c.key == key))
        ).one()
        if row.request_hash != fingerprint:
            raise Unprocessable(
                f"{HEADER} was already used with another request",
                field=HEADER,
                code="idempotency_key_reused",
            )
        if row.status_code is None:  # pragma: no cover - the row lock makes this unreachable
            raise Unprocessable(
                "the first request with this key is still running", code="idempotency_in_progress"
            )
        headers = dict(row.response_headers or {})
        if row.response_body is None:
            raise Conflict(
                "the first request with this key succeeded; its response carried a secret, "
                "which is shown only once and is not replayed",
                code="idempotent_response_withheld",
                first_status=row.status_code,
            )
        headers[REPLAY_HEADER] = "true"
        return Response(content=row.response_body, status_code=row.status_code, headers=headers)

    async def complete(
        self, session: AsyncSession, claim: IdempotencyClaim, response: Response, body: bytes
    ) -> None:
        keep = {
            k: v for k, v in response.headers.items() if k.lower() in ("content-type", "location")
        }
        # A response marked no-store carries a secret (a client secret, an access token): it is
        # not kept, so a replay says the effect happened instead of showing the secret again.
        withheld = "no-store" in response.headers.get("cache-control", "").lower()
        await session.execute(
            _complete_statement(self.table),
            {
                "claimed_principal": claim.principal,
                "claimed_key": claim.key,
                "status_code": response.status_code,
                "response_body": None if withheld else body,
                "response_headers": json.loads(json.dumps(keep)),
            },
        )


@functools.cache
def _claim_statement(table: Table) -> TextClause:
    """The claim's INSERT ... ON CONFLICT DO NOTHING, built once per table as text:
    PostgreSQL's ``insert`` construct has no cache key, so SQLAlchemy compiled it again on
    every request that carried a key."""
    columns = ("principal", "key", "request_hash", "path", "created_at")
    return text(
        f"INSERT INTO {table.fullname} ({', '.join(columns)}) "  # noqa: S608 - names only
        f"VALUES ({', '.join(':' + name for name in columns)}) "
        "ON CONFLICT DO NOTHING RETURNING key"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


@functools.cache
def _complete_statement(table: Table) -> Update:
    """The claimed row's response, built once per table (values bound at execution)."""
    return (
        update(table)
        .where(
            table.c.principal == bindparam("claimed_principal"),
            table.c.key == bindparam("claimed_key"),
        )
        .values(
            status_code=bindparam("status_code"),
            response_body=bindparam("response_body"),
            response_headers=bindparam("response_headers"),
        )
    )
