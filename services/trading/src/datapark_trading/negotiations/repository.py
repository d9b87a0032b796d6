"""All SQL about negotiations and their offers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_trading.negotiations.models import NegotiationRow, OfferRow


class NegotiationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: NegotiationRow | OfferRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(
        self, negotiation_id: uuid.UUID, *, for_update: bool = False
    ) -> NegotiationRow | None:
        query = select(NegotiationRow).where(NegotiationRow.id == negotiation_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def offers(self, negotiation_id: uuid.UUID) -> Sequence[OfferRow]:
        query = (
            select(OfferRow)
            .where(OfferRow.negotiation_id == negotiation_id)
            .order_by(OfferRow.round)
        )
        return (await self.session.execute(query)).scalars().all()

    async def due_to_expire(self, now: datetime, limit: int) -> list[uuid.UUID]:
        query = (
            select(NegotiationRow.id)
            .where(
                NegotiationRow.state.not_in(("FINALIZED", "TERMINATED")),
                NegotiationRow.expires_at <= now,
            )
            .order_by(NegotiationRow.expires_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def page(
        self,
        *,
        party: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
        state: str | None = None,
    ) -> Sequence[NegotiationRow]:
        """Negotiations in id (creation) order after ``after``; only those ``party`` is a side
        of unless ``party`` is ``None``."""
        query = select(NegotiationRow).order_by(NegotiationRow.id).limit(limit)
        if after is not None:
            query = query.where(NegotiationRow.id > after)
        if party is not None:
            query = query.where(
                or_(NegotiationRow.consumer_id == party, NegotiationRow.provider_id == party)
            )
        if state is not None:
            query = query.where(NegotiationRow.state == state)
        return (await self.session.execute(query)).scalars().all()

    async def offers_of(
        self, negotiation_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[OfferRow]]:
        """Every offer of each negotiation, in round order."""
        found: dict[uuid.UUID, list[OfferRow]] = {nid: [] for nid in negotiation_ids}
        if not negotiation_ids:
            return found
        query = (
            select(OfferRow)
            .where(OfferRow.negotiation_id.in_(negotiation_ids))
            .order_by(OfferRow.negotiation_id, OfferRow.round)
        )
        for offer in (await self.session.execute(query)).scalars():
            found[offer.negotiation_id].append(offer)
        return found
