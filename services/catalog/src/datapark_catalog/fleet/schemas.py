"""Request and response bodies of the robot fleet and rental offerings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from datapark_catalog.fleet.models import RobotUnitRow
from datapark_catalog.fleet.rules import UnitAppraisal, appraised_value
from datapark_catalog.products.schemas import MoneyOut
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalMode,
    RobotCategory,
    RobotUnitStatus,
    UsageUnit,
)
from datapark_kit.schemas import RequestModel

SpecValue = str | int | float | bool


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RobotModelCreate(_In):
    maker: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    category: RobotCategory
    specs: dict[str, SpecValue] = Field(default_factory=dict, max_length=100)


class RobotModelUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    specs: dict[str, SpecValue] | None = Field(default=None, max_length=100)


class RobotModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    maker: str
    name: str
    category: str
    specs: dict[str, SpecValue]
    created_at: datetime


class RobotUnitCreate(_In):
    """A physical unit of the calling lessor."""

    model_id: uuid.UUID
    serial_number: str = Field(min_length=1, max_length=64)
    acquisition_cost: Decimal
    acquired_on: date
    salvage_value: Decimal = Decimal(0)
    useful_life_months: int
    location: str = Field(min_length=1, max_length=200)
    currency: Literal["CNY"] = "CNY"


class RobotUnitUpdate(_In):
    location: str | None = Field(default=None, min_length=1, max_length=200)
    status: RobotUnitStatus | None = None


class RobotUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    model_id: uuid.UUID
    serial_number: str
    lessor_participant_id: uuid.UUID
    acquisition_cost: MoneyOut
    acquired_on: date
    salvage_value: MoneyOut
    useful_life_months: int
    appraised_value: MoneyOut
    appraised_on: date
    currency: Literal["CNY"] = "CNY"
    location: str
    status: str

    @classmethod
    def of(cls, row: RobotUnitRow, today: date | None = None) -> RobotUnitOut:
        """The unit as stored, with its straight-line appraised value on ``today``."""
        today = today or datetime.now(UTC).date()
        appraisal = UnitAppraisal(
            row.acquisition_cost, row.salvage_value, row.useful_life_months, row.acquired_on
        )
        columns = {name: getattr(row, name) for name in _UNIT_COLUMNS}
        return cls.model_validate(
            columns | {"appraised_value": appraised_value(appraisal, today), "appraised_on": today}
        )


_UNIT_COLUMNS = tuple(
    name
    for name in RobotUnitOut.model_fields
    if name not in ("appraised_value", "appraised_on", "currency")
)


class RobotKitCreate(_In):
    """A robot container (机器人集装箱): a named set of the lessor's units rented as one line."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    unit_ids: list[uuid.UUID] = Field(max_length=200)


class RobotKitUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class RobotKitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lessor_participant_id: uuid.UUID
    name: str
    description: str
    unit_ids: list[uuid.UUID]


class MaintenanceWindowCreate(_In):
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)


class MaintenanceWindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    unit_id: uuid.UUID
    start: datetime = Field(validation_alias=AliasChoices("start", "starts_at"))
    end: datetime = Field(validation_alias=AliasChoices("end", "ends_at"))
    reason: str
    status: str


class RateCardIn(_In):
    hour: Decimal | None = None
    day: Decimal | None = None
    week: Decimal | None = None
    month: Decimal | None = None


class ServiceTermsIn(_In):
    usage_unit: UsageUnit
    price_per_use: Decimal
    monthly_minimum: Decimal


class CancellationTierIn(_In):
    notice_minutes: int
    fee_rate: Decimal


class OfferingTermsIn(_In):
    """An offering's terms: modes, rate card, deposit, durations, padding, validity."""

    title: str = Field(min_length=1, max_length=200)
    modes: list[RentalMode] = Field(max_length=5)
    rate_card: RateCardIn
    deposit: Decimal = Decimal(0)
    min_duration_minutes: int
    max_duration_minutes: int | None = None
    turnaround_before_minutes: int = 0
    turnaround_after_minutes: int = 0
    service_terms: ServiceTermsIn | None = None
    cancellation_policy: list[CancellationTierIn] = Field(default_factory=list, max_length=10)
    late_fee_per_hour: Decimal | None = None
    available_from: AwareDatetime
    available_until: AwareDatetime | None = None
    location: str = Field(min_length=1, max_length=200)
    currency: Literal["CNY"] = "CNY"


class RentalOfferingCreate(OfferingTermsIn):
    """What a lessor offers for one unit (``unit_id``) or one kit (``kit_id``)."""

    target_kind: OfferingTargetKind
    unit_id: uuid.UUID | None = None
    kit_id: uuid.UUID | None = None


class RentalOfferingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lessor_participant_id: uuid.UUID
    title: str
    target_kind: str
    unit_id: uuid.UUID | None
    kit_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    category: str
    modes: list[str]
    rate_card: dict[str, object]
    deposit: MoneyOut
    min_duration_minutes: int
    max_duration_minutes: int | None
    turnaround_before_minutes: int
    turnaround_after_minutes: int
    service_terms: dict[str, object] | None
    cancellation_policy: list[dict[str, object]]
    late_fee_per_hour: MoneyOut | None
    available_from: datetime
    available_until: datetime | None
    location: str
    state: str
    currency: Literal["CNY"] = "CNY"


class WithdrawRequest(_In):
    reason: str = Field(min_length=1, max_length=500)
