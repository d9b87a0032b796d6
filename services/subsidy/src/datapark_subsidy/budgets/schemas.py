"""Response bodies of budgets: a budget row with cap, reserved, committed and remaining."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.terms.schemas import Money


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
    """A company's budget rows: few (one per policy and year), so always one page."""

    items: list[BudgetOut]
    next_cursor: str | None = None
