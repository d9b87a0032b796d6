"""Request and response bodies of the designation endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from datapark_kit.schemas import RequestModel
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.budgets.schemas import BUDGET_EXAMPLE, BudgetOut
from datapark_subsidy.designations.models import DesignationRecord

DesignationKind = Literal["cluster", "park"]


_DESIGNATION_IN: dict[str, Any] = {
    "kind": "park",
    "name": "Fuzhou Data Element Park",
    "region_code": "350102",
    "designated_on": "2026-03-18",
}


class DesignationIn(RequestModel):
    """A provincial designation, as the province's notice names it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_DESIGNATION_IN]})

    kind: DesignationKind = Field(description="cluster: 省数据产业集聚区; park: 省数据要素产业园")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    region_code: str = Field(
        pattern=r"^[0-9]{6}$", description="6-digit division code where it lies (in Fujian)"
    )
    designated_on: date = Field(description="the day the province designated it")


class DesignationPatch(RequestModel):
    """A correction of a designation on record (its kind never changes: record another)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Fuzhou Data Element Industrial Park"}]},
    )

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    designated_on: date | None = None

    @model_validator(mode="after")
    def _something(self) -> DesignationPatch:
        if self.name is None and self.region_code is None and self.designated_on is None:
            raise ValueError("a correction changes name, region_code or designated_on")
        return self


_DESIGNATION: dict[str, Any] = {
    "id": "0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12",
    **_DESIGNATION_IN,
    "recorded_by": "0192d0a1-1111-7222-8333-944455566677",
    "created_at": "2026-03-20T01:30:00+00:00",
}


class DesignationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_DESIGNATION]})

    id: uuid.UUID
    kind: DesignationKind
    name: str
    region_code: str
    designated_on: date
    recorded_by: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, record: DesignationRecord) -> DesignationOut:
        return cls.model_validate(record)


class DesignationDetailOut(DesignationOut):
    """A designation with its budget: one cap, shared by every applicant under it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_DESIGNATION | {"budgets": [BUDGET_EXAMPLE]}]},
    )

    budgets: list[BudgetOut]

    @classmethod
    def with_budgets(cls, record: DesignationRecord, budgets: Sequence[BudgetRow]) -> Self:
        columns = {name: getattr(record, name) for name in cls.model_fields if name != "budgets"}
        return cls.model_validate(columns | {"budgets": [BudgetOut.of(b) for b in budgets]})


class DesignationPage(BaseModel):
    items: list[DesignationOut]
    next_cursor: str | None
