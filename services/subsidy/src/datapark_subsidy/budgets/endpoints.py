"""``GET /v1/budgets``: a company's budget rows with cap, reserved, committed and remaining."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from datapark_kit.auth import CurrentPrincipal
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.budgets.service import BudgetService
from datapark_subsidy.wire import Money

router = APIRouter(prefix="/v1/budgets", tags=["budgets"], route_class=UnitOfWorkRoute)


class BudgetOut(BaseModel):
    id: uuid.UUID
    policy: str
    participant_id: uuid.UUID | None
    """The company; null on a designation's budget, which every applicant under it shares."""
    period: str
    cap: Money
    reserved: Money
    committed: Money
    remaining: Money
    cap_parameter: str
    cap_effective_from: str

    @classmethod
    def of(cls, row: BudgetRow) -> BudgetOut:
        return cls(
            id=row.id,
            policy=row.policy,
            participant_id=row.participant_id,
            period=row.period,
            cap=Money.of(row.cap),
            reserved=Money.of(row.reserved),
            committed=Money.of(row.committed),
            remaining=Money.of(row.cap - row.reserved - row.committed),
            cap_parameter=row.cap_parameter,
            cap_effective_from=row.cap_effective_from,
        )


class BudgetList(BaseModel):
    items: list[BudgetOut]


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
