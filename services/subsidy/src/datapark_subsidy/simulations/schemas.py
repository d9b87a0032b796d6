"""Bodies of ``POST /v1/simulations``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from datapark_kit.schemas import RequestModel
from datapark_subsidy.simulations.replay import SimulationResult
from datapark_subsidy.terms.schemas import Money, SignedMoney

ZERO = Decimal("0.00")


class Period(RequestModel):
    """Half-open ``[start, end)``."""

    model_config = ConfigDict(extra="forbid")

    start: date
    end: date


class SimulationIn(RequestModel):
    """Changed dated values (like a parameter file's ``values``) and the period to compare."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "changes": {"beijing_financing_lease.rate": {"2026-01-01": "0.06"}},
                    "period": {"start": "2026-01-01", "end": "2027-01-01"},
                }
            ]
        },
    )

    changes: dict[str, dict[date, Any]] = Field(
        min_length=1,
        examples=[{"beijing_financing_lease.rate": {"2025-01-01": "0.06"}}],
    )
    period: Period


class CompanyOut(BaseModel):
    participant_id: uuid.UUID
    actual: Money
    """What the rules grant with the current parameters (every claim approved and paid)."""
    simulated: Money
    """What they would grant with the changed parameters."""
    difference: SignedMoney
    recorded: Money
    """What the company's real claims of the period were granted so far."""


class BudgetDiffOut(BaseModel):
    policy: str
    period: str
    actual: Money
    simulated: Money
    difference: SignedMoney


def _cny(amount: str) -> JsonDict:
    return {"amount": amount, "currency": "CNY"}


class SimulationOut(BaseModel):
    """Per company and per budget: granted under the current parameters vs the changed ones."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": {"start": "2026-01-01", "end": "2027-01-01"},
                    "base_version": "sha256:cd3380df2863e52ba53e8e9900b207137a3b9bdf14eff0bb3a"
                    "f6a5a158067d2f",
                    "simulated_version": "sha256:cd3380df2863e52ba53e8e9900b207137a3b9bdf14eff0bb3a"
                    "f6a5a158067d2f+changed:5e0b8a41c7f29d36",
                    "companies": [
                        {
                            "participant_id": "0192e7d1-3b4c-7a5d-8e6f-7a8b9c0d1e2f",
                            "actual": _cny("41250.00"),
                            "simulated": _cny("49500.00"),
                            "difference": _cny("8250.00"),
                            "recorded": _cny("20625.00"),
                        }
                    ],
                    "budgets": [
                        {
                            "policy": "beijing_financing_lease",
                            "period": "2026",
                            "actual": _cny("41250.00"),
                            "simulated": _cny("49500.00"),
                            "difference": _cny("8250.00"),
                        }
                    ],
                    "actual_total": _cny("41250.00"),
                    "simulated_total": _cny("49500.00"),
                    "budget_difference": _cny("8250.00"),
                }
            ]
        }
    )

    period: Period
    base_version: str
    simulated_version: str
    companies: list[CompanyOut]
    budgets: list[BudgetDiffOut]
    actual_total: Money
    simulated_total: Money
    budget_difference: SignedMoney
    """Signed: positive means the change would cost more."""

    @classmethod
    def of(cls, r: SimulationResult, recorded: Mapping[str, Decimal]) -> SimulationOut:
        return cls(
            period=Period(start=r.start, end=r.end),
            base_version=r.base_version,
            simulated_version=r.simulated_version,
            companies=[
                CompanyOut(
                    participant_id=uuid.UUID(c.participant_id),
                    actual=Money.of(c.actual),
                    simulated=Money.of(c.simulated),
                    difference=SignedMoney.of(c.difference),
                    recorded=Money.of(recorded.get(c.participant_id, ZERO)),
                )
                for c in r.companies
            ],
            budgets=[
                BudgetDiffOut(
                    policy=b.policy.value,
                    period=b.period,
                    actual=Money.of(b.actual),
                    simulated=Money.of(b.simulated),
                    difference=SignedMoney.of(b.difference),
                )
                for b in r.budgets
            ],
            actual_total=Money.of(r.actual_total),
            simulated_total=Money.of(r.simulated_total),
            budget_difference=SignedMoney.of(r.budget_difference),
        )
