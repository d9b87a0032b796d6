"""The participant projection (kept from catalog.participants.v1): kept, and read as lessees."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.participants import ParticipantSnapshot
from datapark_eventing.projections import ParticipantProjection
from datapark_subsidy.tables import PARTICIPANTS
from datapark_subsidy.terms.assessment import Lessee


class ParticipantDirectory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def project(self, payload: ParticipantSnapshot, *, aggseq: int) -> None:
        """Keep catalog's participant (an older event than the row's is ignored)."""
        await ParticipantProjection(self.session, PARTICIPANTS).apply(payload, aggseq=aggseq)

    async def lessee(self, participant_id: uuid.UUID) -> Lessee | None:
        row = (
            await self.session.execute(
                select(
                    PARTICIPANTS.c.region_code,
                    PARTICIPANTS.c.operating_region_code,
                    PARTICIPANTS.c.kind,
                ).where(PARTICIPANTS.c.id == participant_id)
            )
        ).first()
        if row is None:
            return None
        return Lessee(str(participant_id), row.region_code, row.operating_region_code, row.kind)

    async def all_lessees(self) -> dict[str, Lessee]:
        rows = await self.session.execute(
            select(
                PARTICIPANTS.c.id,
                PARTICIPANTS.c.region_code,
                PARTICIPANTS.c.operating_region_code,
                PARTICIPANTS.c.kind,
            )
        )
        return {
            str(r.id): Lessee(str(r.id), r.region_code, r.operating_region_code, r.kind)
            for r in rows
        }
