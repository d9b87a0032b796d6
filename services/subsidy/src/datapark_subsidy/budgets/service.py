"""Reading budgets."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.auth import Principal
from datapark_kit.errors import NotFound
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.budgets.repository import BudgetRepository
from datapark_subsidy.terms.access import sees_all_claims


class BudgetService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = BudgetRepository(session)

    async def of(
        self, principal: Principal, participant_id: uuid.UUID, year: int | None
    ) -> list[BudgetRow]:
        """A company's budget rows (for one calendar year, or all incl. designations)."""
        if not (sees_all_claims(principal) or participant_id == principal.participant_id):
            raise NotFound("participant not found")
        return await self.repo.for_participant(participant_id, str(year) if year else None)
