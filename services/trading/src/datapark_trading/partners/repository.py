"""All SQL about partner membership."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.partners.models import PartnerMember
from datapark_trading.tables import PARTICIPANTS


class PartnerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_member(self, partner_id: uuid.UUID, member_id: uuid.UUID) -> bool:
        query = select(PartnerMember.member_id).where(
            PartnerMember.partner_id == partner_id, PartnerMember.member_id == member_id
        )
        return (await self.session.execute(query)).first() is not None

    async def add(self, partner_id: uuid.UUID, member_id: uuid.UUID, at: datetime) -> None:
        await self.session.execute(
            insert(PartnerMember)
            .values(partner_id=partner_id, member_id=member_id, added_at=at)
            .on_conflict_do_nothing()
        )

    async def participant_status(self, participant_id: uuid.UUID) -> str | None:
        query = select(PARTICIPANTS.c.status).where(PARTICIPANTS.c.id == participant_id)
        return (await self.session.execute(query)).scalar_one_or_none()
