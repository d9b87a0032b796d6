"""Request and response bodies of the designation endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from datapark_kit.schemas import RequestModel
from datapark_subsidy.budgets.schemas import BudgetOut
from datapark_subsidy.designations.models import DesignationRecord

DesignationKind = Literal["cluster", "park"]


class DesignationIn(RequestModel):
    """A provincial designation, as the province's notice names it."""

    model_config = ConfigDict(extra="forbid")

    kind: DesignationKind = Field(description="cluster: 省数据产业集聚区; park: 省数据要素产业园")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    region_code: str = Field(
        pattern=r"^[0-9]{6}$", description="6-digit division code where it lies (in Fujian)"
    )
    designated_on: date = Field(description="the day the province designated it")


class DesignationPatch(RequestModel):
    """A correction of a designation on record (its kind never changes: record another)."""

    model_config = ConfigDict(extra="forbid")

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


class DesignationOut(BaseModel):
    id: uuid.UUID
    kind: DesignationKind
    name: str
    region_code: str
    designated_on: date
    recorded_by: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, record: DesignationRecord) -> DesignationOut:
        return cls(
            id=record.id,
            kind="cluster" if record.kind == "cluster" else "park",
            name=record.name,
            region_code=record.region_code,
            designated_on=record.designated_on,
            recorded_by=record.recorded_by,
            created_at=record.created_at,
        )


class DesignationDetailOut(DesignationOut):
    """A designation with its budget: one cap, shared by every applicant under it."""

    budgets: list[BudgetOut]


class DesignationPage(BaseModel):
    items: list[DesignationOut]
    next_cursor: str | None
