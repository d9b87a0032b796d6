"""All SQL about participants."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.participants.models import Participant


class ParticipantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, participant: Participant) -> None:
        self.session.add(participant)
        await self.session.flush()

    async def get(
        self, participant_id: uuid.UUID, *, for_update: bool = False
    ) -> Participant | None:
        query = select(Participant).where(Participant.id == participant_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_uscc(self, uscc: str) -> Participant | None:
        query = select(Participant).where(Participant.uscc == uscc)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def has_role_holder(self, role: str) -> bool:
        query = select(Participant.id).where(Participant.roles.contains([role])).limit(1)
        return (await self.session.execute(query)).first() is not None

    async def page(
        self, *, after: uuid.UUID | None, limit: int, only: uuid.UUID | None = None
    ) -> list[Participant]:
        query = select(Participant).order_by(Participant.id).limit(limit)
        if after is not None:
            query = query.where(Participant.id > after)
        if only is not None:
            query = query.where(Participant.id == only)
        return list((await self.session.execute(query)).scalars())
