"""Use cases of partner membership: who an exchange partner may act for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.partners.repository import PartnerRepository


class PartnerService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = PartnerRepository(session)

    async def add_member(self, partner_id: uuid.UUID, member_id: uuid.UUID) -> None:
        """Record that the partner acts for the member (idempotent: a repeat changes nothing)."""
        await self.repo.add(partner_id, member_id, datetime.now(UTC))
