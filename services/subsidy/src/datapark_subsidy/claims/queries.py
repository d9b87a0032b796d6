"""Reading claims: one claim, or a page of them, as the caller may see them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.auth import Principal
from datapark_kit.errors import NotFound
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.claims.repository import ClaimRepository
from datapark_subsidy.claims.states import ClaimStatus
from datapark_subsidy.terms.access import sees_all_claims


class ClaimQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = ClaimRepository(session)

    async def get(self, principal: Principal, claim_id: uuid.UUID) -> Claim:
        claim = await self.repo.get(claim_id)
        if claim is None or not (
            sees_all_claims(principal) or claim.participant_id == principal.participant_id
        ):
            raise NotFound("claim not found")
        return claim

    async def page(
        self,
        principal: Principal,
        *,
        participant_id: uuid.UUID | None,
        status: ClaimStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Claim], str | None]:
        if not sees_all_claims(principal):
            if participant_id is not None and participant_id != principal.participant_id:
                raise NotFound("participant not found")
            participant_id = principal.participant_id
        after = cursor_id(cursor)
        rows = await self.repo.page(
            participant_id=participant_id,
            status=status.value if status else None,
            after=after,
            limit=limit + 1,
        )
        return keyset_page(rows, limit, key=lambda c: c.id)
