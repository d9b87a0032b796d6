"""Request and response bodies of the robot fleet and rental offerings.

Money is a Money object (``{"amount": "2400.00", "currency": "CNY"}``); durations are whole
seconds in ``*_seconds`` fields, a multiple of 60 (an offering's events count minutes).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)
from pydantic.config import JsonDict

from datapark_catalog.fleet.appraisal import UnitAppraisal, appraised_value
from datapark_catalog.fleet.models import RobotUnitRow
from datapark_catalog.fleet.offering_terms import (
    MAX_DURATION_SECONDS,
    MAX_NOTICE_SECONDS,
    MAX_TURNAROUND_SECONDS,
    MINUTE,
    CancellationTier,
    OfferingTerms,
    RateCard,
    ServiceTerms,
)
from datapark_catalog.terms.schemas import Money, MoneyOut, amount_of
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalMode,
    RobotCategory,
    RobotUnitStatus,
    UsageUnit,
)
from datapark_kit.schemas import RequestModel

SpecValue = str | StrictInt | StrictBool
"""A spec is text, a whole number or a flag; a fractional quantity is a decimal string
(``"10.5"``), never a JSON number."""

Duration = Annotated[int, Field(gt=0, le=MAX_DURATION_SECONDS, multiple_of=MINUTE)]
Padding = Annotated[int, Field(ge=0, le=MAX_TURNAROUND_SECONDS, multiple_of=MINUTE)]
Notice = Annotated[int, Field(ge=0, le=MAX_NOTICE_SECONDS, multiple_of=MINUTE)]

_MODEL: JsonDict = {
    "maker": "Siasun",
    "name": "SR210",
    "category": "industrial_arm",
    "specs": {"payload_kg": "210", "reach_mm": 2650, "axes": 6, "ip_rating": "IP54"},
}
_UNIT_ID = "0193a5f0-2c11-7e0a-8f1b-5d6c7e8f9a0b"
_OFFERING_TERMS: JsonDict = {
    "title": "SR210 welding arm, Shenyang line 3",
    "modes": ["short_term", "long_term"],
    "rate_card": {
        "day": {"amount": "1800.00", "currency": "CNY"},
        "month": {"amount": "36000.00", "currency": "CNY"},
    },
    "deposit": {"amount": "20000.00", "currency": "CNY"},
    "min_duration_seconds": 86400,
    "max_duration_seconds": 15552000,
    "turnaround_before_seconds": 3600,
    "turnaround_after_seconds": 7200,
    "cancellation_policy": [
        {"notice_seconds": 604800, "fee_rate": "0"},
        {"notice_seconds": 86400, "fee_rate": "0.3"},
    ],
    "late_fee_per_hour": {"amount": "150.00", "currency": "CNY"},
    "available_from": "2026-12-01T00:00:00+08:00",
    "available_until": "2027-12-01T00:00:00+08:00",
    "location": "Shenyang, Hunnan district, hall 3",
}


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RobotModelCreate(_In):
    """A robot model: maker, name, category and specs."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MODEL]})

    maker: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100)
    category: RobotCategory
    specs: dict[str, SpecValue] = Field(default_factory=dict, max_length=100)


class RobotModelUpdate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"specs": {"payload_kg": "210", "axes": 6}}]}
    )

    name: str | None = Field(default=None, min_length=1, max_length=100)
    specs: dict[str, SpecValue] | None = Field(default=None, max_length=100)


class RobotModelOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a5ef-1a00-7b2c-9d3e-4f5a6b7c8d9e",
                    **_MODEL,
                    "created_at": "2026-11-30T08:00:00Z",
                }
            ]
        },
    )

    id: uuid.UUID
    maker: str
    name: str
    category: str
    specs: dict[str, SpecValue]
    created_at: datetime


class RobotUnitCreate(_In):
    """A physical unit of the calling lessor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_id": "0193a5ef-1a00-7b2c-9d3e-4f5a6b7c8d9e",
                    "serial_number": "SR210-2024-00731",
                    "acquisition_cost": {"amount": "480000.00", "currency": "CNY"},
                    "acquired_on": "2024-03-15",
                    "salvage_value": {"amount": "48000.00", "currency": "CNY"},
                    "useful_life_months": 96,
                    "location": "Shenyang, Hunnan district, hall 3",
                }
            ]
        }
    )

    model_id: uuid.UUID
    serial_number: str = Field(min_length=1, max_length=64)
    acquisition_cost: Money
    acquired_on: date
    salvage_value: Money = Money(amount=Decimal(0))
    useful_life_months: int
    location: str = Field(min_length=1, max_length=200)


class RobotUnitUpdate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"location": "Dalian, hall 1", "status": "in_maintenance"}]}
    )

    location: str | None = Field(default=None, min_length=1, max_length=200)
    status: RobotUnitStatus | None = None


class RobotUnitOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": _UNIT_ID,
                    "model_id": "0193a5ef-1a00-7b2c-9d3e-4f5a6b7c8d9e",
                    "serial_number": "SR210-2024-00731",
                    "lessor_participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
                    "acquisition_cost": {"amount": "480000.00", "currency": "CNY"},
                    "acquired_on": "2024-03-15",
                    "salvage_value": {"amount": "48000.00", "currency": "CNY"},
                    "useful_life_months": 96,
                    "appraised_value": {"amount": "360000.00", "currency": "CNY"},
                    "appraised_on": "2026-11-30",
                    "location": "Shenyang, Hunnan district, hall 3",
                    "status": "available",
                }
            ]
        },
    )

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
    name for name in RobotUnitOut.model_fields if name not in ("appraised_value", "appraised_on")
)


class RobotKitCreate(_In):
    """A robot container (机器人集装箱): a named set of the lessor's units rented as one line."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Welding cell A",
                    "description": "Two SR210 arms and a positioner, rented together.",
                    "unit_ids": [_UNIT_ID, "0193a5f0-2c12-7e0a-8f1b-5d6c7e8f9a0c"],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    unit_ids: list[uuid.UUID] = Field(max_length=200)


class RobotKitUpdate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Welding cell A (2025)"}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class RobotKitOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a5f1-3d22-7f1b-9a2c-6e7f8a9b0c1d",
                    "lessor_participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
                    "name": "Welding cell A",
                    "description": "Two SR210 arms and a positioner, rented together.",
                    "unit_ids": [_UNIT_ID, "0193a5f0-2c12-7e0a-8f1b-5d6c7e8f9a0c"],
                }
            ]
        },
    )

    id: uuid.UUID
    lessor_participant_id: uuid.UUID
    name: str
    description: str
    unit_ids: list[uuid.UUID]


class MaintenanceWindowCreate(_In):
    """A half-open period ``[start, end)`` the unit is blocked for maintenance."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-12-10T08:00:00+08:00",
                    "end": "2026-12-10T18:00:00+08:00",
                    "reason": "annual gearbox service",
                }
            ]
        }
    )

    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)


class MaintenanceWindowOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a5f2-4e33-7a2c-8b3d-7f8a9b0c1d2e",
                    "unit_id": _UNIT_ID,
                    "start": "2026-12-10T00:00:00Z",
                    "end": "2026-12-10T10:00:00Z",
                    "reason": "annual gearbox service",
                    "status": "scheduled",
                }
            ]
        },
    )

    id: uuid.UUID
    unit_id: uuid.UUID
    start: datetime = Field(validation_alias=AliasChoices("start", "starts_at"))
    end: datetime = Field(validation_alias=AliasChoices("end", "ends_at"))
    reason: str
    status: str


class RateCardIn(_In):
    """Rates per hour, day, week and month; at least one."""

    hour: Money | None = None
    day: Money | None = None
    week: Money | None = None
    month: Money | None = None


class ServiceTermsIn(_In):
    """A service lease (服务租赁): a price per use with a monthly minimum."""

    usage_unit: UsageUnit
    price_per_use: Money
    monthly_minimum: Money


class CancellationTierIn(_In):
    """Cancelling at least ``notice_seconds`` before the start costs ``fee_rate`` of the
    booking's price."""

    notice_seconds: Notice
    fee_rate: Decimal


class OfferingTermsIn(_In):
    """An offering's terms: modes, rate card, deposit, durations, padding, validity."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OFFERING_TERMS]})

    title: str = Field(min_length=1, max_length=200)
    modes: list[RentalMode] = Field(max_length=5)
    rate_card: RateCardIn
    deposit: Money = Money(amount=Decimal(0))
    min_duration_seconds: Duration
    max_duration_seconds: Duration | None = None
    turnaround_before_seconds: Padding = 0
    turnaround_after_seconds: Padding = 0
    service_terms: ServiceTermsIn | None = None
    cancellation_policy: list[CancellationTierIn] = Field(default_factory=list, max_length=10)
    late_fee_per_hour: Money | None = None
    available_from: AwareDatetime
    available_until: AwareDatetime | None = None
    location: str = Field(min_length=1, max_length=200)

    def to_terms(self, target_kind: OfferingTargetKind) -> OfferingTerms:
        """The terms as the domain checks them (``offering_terms.validate_offering``)."""
        card, service = self.rate_card, self.service_terms
        return OfferingTerms(
            target_kind=target_kind,
            modes=tuple(self.modes),
            rate_card=RateCard(
                amount_of(card.hour),
                amount_of(card.day),
                amount_of(card.week),
                amount_of(card.month),
            ),
            deposit=self.deposit.amount,
            min_duration_seconds=self.min_duration_seconds,
            max_duration_seconds=self.max_duration_seconds,
            turnaround_before_seconds=self.turnaround_before_seconds,
            turnaround_after_seconds=self.turnaround_after_seconds,
            available_from=self.available_from,
            available_until=self.available_until,
            service_terms=None
            if service is None
            else ServiceTerms(
                service.usage_unit, service.price_per_use.amount, service.monthly_minimum.amount
            ),
            cancellation_policy=tuple(
                CancellationTier(t.notice_seconds, t.fee_rate) for t in self.cancellation_policy
            ),
            late_fee_per_hour=amount_of(self.late_fee_per_hour),
        )


class RentalOfferingCreate(OfferingTermsIn):
    """What a lessor offers for one unit (``unit_id``) or one kit (``kit_id``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_OFFERING_TERMS, "target_kind": "unit", "unit_id": _UNIT_ID}]
        }
    )

    target_kind: OfferingTargetKind
    unit_id: uuid.UUID | None = None
    kit_id: uuid.UUID | None = None


class RateCardOut(BaseModel):
    hour: MoneyOut | None = None
    day: MoneyOut | None = None
    week: MoneyOut | None = None
    month: MoneyOut | None = None


class ServiceTermsOut(BaseModel):
    usage_unit: UsageUnit
    price_per_use: MoneyOut
    monthly_minimum: MoneyOut


class CancellationTierOut(BaseModel):
    notice_seconds: int
    fee_rate: Decimal


class RentalOfferingOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a5f3-5f44-7b3d-9c4e-8a9b0c1d2e3f",
                    "lessor_participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
                    "target_kind": "unit",
                    "unit_id": _UNIT_ID,
                    "unit_ids": [_UNIT_ID],
                    "category": "industrial_arm",
                    **_OFFERING_TERMS,
                    "state": "published",
                }
            ]
        },
    )

    id: uuid.UUID
    lessor_participant_id: uuid.UUID
    title: str
    target_kind: str
    unit_id: uuid.UUID | None = None
    kit_id: uuid.UUID | None = None
    unit_ids: list[uuid.UUID]
    category: str
    modes: list[str]
    rate_card: RateCardOut
    deposit: MoneyOut
    min_duration_seconds: int
    max_duration_seconds: int | None = None
    turnaround_before_seconds: int
    turnaround_after_seconds: int
    service_terms: ServiceTermsOut | None = None
    cancellation_policy: list[CancellationTierOut]
    late_fee_per_hour: MoneyOut | None = None
    available_from: datetime
    available_until: datetime | None = None
    location: str
    state: str


class WithdrawRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the unit is sold to the lessee"}]}
    )

    reason: str = Field(min_length=1, max_length=500)
