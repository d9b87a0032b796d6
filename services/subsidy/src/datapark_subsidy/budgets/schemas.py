"""Response bodies of budgets: a budget row with cap, reserved, committed and remaining."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.terms.schemas import Money

BUDGET_EXAMPLE: dict[str, Any] = {
    "id": "0192f1c5-2b3c-7d4e-8f5a-6b7c8d9e0f1a",
    "policy": "fujian_data_park",
    "participant_id": None,
    "period": "designation:0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12",
    "cap": {"amount": "5000000.00", "currency": "CNY"},
    "reserved": {"amount": "320000.00", "currency": "CNY"},
    "committed": {"amount": "4680000.00", "currency": "CNY"},
    "remaining": {"amount": "0.00", "currency": "CNY"},
    "cap_parameter": "fujian_data_park.max_per_designation",
    "cap_effective_from": "2025-01-01",
}
"""A designation's budget, shared by its applicants, with nothing left to grant."""


class BudgetOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BUDGET_EXAMPLE]})

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
