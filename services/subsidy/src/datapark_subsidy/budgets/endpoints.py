"""``GET /v1/budgets``: a company's budget rows with cap, reserved, committed and remaining."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from datapark_kit.auth import CurrentPrincipal
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_subsidy.budgets.schemas import BudgetList, BudgetOut
from datapark_subsidy.budgets.service import BudgetService

router = APIRouter(prefix="/v1/budgets", tags=["budgets"], route_class=UnitOfWorkRoute)


@router.get("", response_model=BudgetList)
async def list_budgets(
    session: SessionDep,
    principal: CurrentPrincipal,
    participant_id: uuid.UUID,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> BudgetList:
    """A company's budgets per policy and period (a calendar year, or a designation)."""
    rows = await BudgetService(session).of(principal, participant_id, year)
    return BudgetList(items=[BudgetOut.of(r) for r in rows])
