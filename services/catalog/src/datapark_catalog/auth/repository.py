"""All SQL about credentials and token failures."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, case, delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.auth.models import Credential, TokenFailures


class CredentialRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, credential: Credential) -> None:
        self.session.add(credential)
        await self.session.flush()

    async def get(self, client_id: str, *, for_update: bool = False) -> Credential | None:
        query = select(Credential).where(Credential.client_id == client_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_participant(self, participant_id: uuid.UUID) -> list[Credential]:
        query = select(Credential).where(Credential.participant_id == participant_id)
        return list((await self.session.execute(query)).scalars())

    async def failures(self, client_id: str) -> TokenFailures | None:
        query = select(TokenFailures).where(TokenFailures.client_id == client_id)
        return (await self.session.execute(query.with_for_update())).scalar_one_or_none()

    async def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """The latest lock still running on any of ``keys`` (None when none is)."""
        query = select(TokenFailures.locked_until).where(
            TokenFailures.client_id.in_(keys), TokenFailures.locked_until > now
        )
        locks = [lock for lock in (await self.session.execute(query)).scalars() if lock]
        return max(locks, default=None)

    async def purge_failures(self, now: datetime, window_start: datetime) -> int:
        """Forget counters whose window is over and whose lock (if any) has run out."""
        table = TokenFailures
        result = await self.session.execute(
            delete(table).where(
                and_(
                    table.window_started_at < window_start,
                    or_(table.locked_until.is_(None), table.locked_until <= now),
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def record_failure(
        self,
        client_id: str,
        now: datetime,
        window_start: datetime,
        max_failures: int,
        lock_until: datetime,
    ) -> None:
        """Count one failure atomically; lock the client id once the count reaches the limit."""
        table = TokenFailures
        stmt = insert(table).values(
            client_id=client_id, failures=1, window_started_at=now, locked_until=None
        )
        restart = table.window_started_at < window_start
        count = case((restart, 1), else_=table.failures + 1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.client_id],
            set_={
                "failures": count,
                "window_started_at": case((restart, now), else_=table.window_started_at),
                "locked_until": case((count >= max_failures, lock_until), else_=table.locked_until),
            },
        )
        await self.session.execute(stmt)

    async def clear_failures(self, client_id: str) -> None:
        row = await self.failures(client_id)
        if row is not None:
            await self.session.delete(row)
