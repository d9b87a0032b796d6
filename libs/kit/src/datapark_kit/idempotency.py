"""Idempotent POSTs with Stripe's semantics.

The first response to ``(principal, Idempotency-Key)`` is stored in the same transaction as
the effect; the same key and body replay it (marked ``Idempotent-Replayed: true``); the same
key with another body is a 422. A pending row is inserted first, so a concurrent second
request with the key waits on the row lock until the first commits, then replays it. Only
successful responses are kept: a failed request rolls back and may be retried with its key.
"""

from __future__ import annotations

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
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
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
            insert(t)
            .values(
                principal=principal,
                key=key,
                request_hash=fingerprint,
                path=path,
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing()
            .returning(t.c.key)
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
            update(self.table)
            .where(self.table.c.principal == claim.principal, self.table.c.key == claim.key)
            .values(
                status_code=response.status_code,
                response_body=None if withheld else body,
                response_headers=json.loads(json.dumps(keep)),
            )
        )
