"""Request and response models of transfers and usage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from datapark_contracts.money import Money
from datapark_kit.schemas import RequestModel
from datapark_trading.transfers.models import TransferRow, UsageMeterRow, UsageRecordRow
from datapark_trading.transfers.service import transfer_value

# The counters are Postgres ``integer`` columns; a year bounds every waiting period.
INT_MAX = 2**31 - 1
YEAR_SECONDS = 365 * 24 * 3600


AGREEMENT = "0193a7e2-6c1d-7b3a-9e5f-2d4c6b8a0e13"


class TransferCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"confirm_after_seconds": 604800}]})

    confirm_after_seconds: int | None = Field(
        default=None,
        ge=60,
        le=YEAR_SECONDS,
        description="when receipt is confirmed automatically after start",
    )


class TransferStart(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "endpoint": "https://data.provider.example.com/v2/readings",
                    "grant_ttl_seconds": 2592000,
                }
            ]
        }
    )

    endpoint: str = Field(min_length=9, max_length=2000, description="https URL of the data")
    grant_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60, le=YEAR_SECONDS)


class ReasonBody(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the provider's gateway is under maintenance"}]}
    )

    reason: str = Field(min_length=1, max_length=1000)


_TRANSFER: dict[str, Any] = {
    "id": "0193a7e3-8d2f-7c4b-a1e6-3f5d7c9b1a24",
    "agreement_id": AGREEMENT,
    "state": "STARTED",
    "requested_at": "2026-11-30T09:20:00+00:00",
    "started_at": "2026-11-30T09:25:00+00:00",
    "endpoint": "https://data.provider.example.com/v2/readings",
    "grant_expires_at": "2026-12-30T09:25:00+00:00",
    "grant_revoked_at": None,
    "confirm_due_at": "2026-12-07T09:25:00+00:00",
    "suspension": None,
    "confirmed_by": None,
    "confirmed_at": None,
    "termination_reason": None,
    "access_token": "Vq3kX9mZb2R7tN1yP6wE4sLcH0aJdF8gUiOo5KrQeTz",
}
"""A delivery just started: the grant's token is shown this once."""


class TransferOut(BaseModel):
    """A transfer as stored, with when its confirmation falls due."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_TRANSFER]})

    id: uuid.UUID
    agreement_id: uuid.UUID
    state: str
    requested_at: datetime
    started_at: datetime | None
    endpoint: str | None
    grant_expires_at: datetime | None
    grant_revoked_at: datetime | None
    confirm_due_at: datetime | None
    suspension: str | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    termination_reason: str | None
    access_token: str | None = Field(
        default=None, description="only in the answer to start: keep it, it is not shown again"
    )

    @classmethod
    def of(cls, row: TransferRow, token: str | None = None) -> TransferOut:
        """The transfer; ``token`` only in the answer to start."""
        columns = {name: getattr(row, name) for name in _TRANSFER_COLUMNS}
        due = transfer_value(row).confirm_due_at
        return cls.model_validate(columns | {"confirm_due_at": due, "access_token": token})


_TRANSFER_COLUMNS = tuple(
    name for name in TransferOut.model_fields if name not in ("confirm_due_at", "access_token")
)


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None


class UsageCreate(RequestModel):
    """Use of a delivery, reported by the provider's gateway with the grant's token."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "Vq3kX9mZb2R7tN1yP6wE4sLcH0aJdF8gUiOo5KrQeTz",
                    "use": "analysis",
                    "region": "CN",
                    "calls": 1200,
                }
            ]
        }
    )

    access_token: str = Field(min_length=32, max_length=200)
    use: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=2, max_length=20)
    calls: int = Field(default=0, ge=0, le=INT_MAX)
    records: int = Field(default=0, ge=0, le=INT_MAX)
    megabytes: int = Field(default=0, ge=0, le=INT_MAX)


class UsageOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a7e4-2a3b-7c4d-8e5f-6a7b8c9d0e1f",
                    "agreement_id": AGREEMENT,
                    "transfer_id": "0193a7e3-8d2f-7c4b-a1e6-3f5d7c9b1a24",
                    "charge": {"amount": "6.00", "currency": "CNY"},
                    "total_calls": 4800,
                    "total_records": 0,
                    "total_megabytes": 0,
                    "max_calls": 100000,
                    "max_records": None,
                }
            ]
        }
    )

    id: uuid.UUID
    agreement_id: uuid.UUID
    transfer_id: uuid.UUID
    charge: Money
    total_calls: int
    total_records: int
    total_megabytes: int
    max_calls: int | None
    max_records: int | None

    @classmethod
    def of(cls, usage: UsageRecordRow, meter: UsageMeterRow) -> Self:
        """The use just counted, and the totals counted under the grant so far."""
        return cls(
            id=usage.id,
            agreement_id=usage.agreement_id,
            transfer_id=usage.transfer_id,
            charge=Money(amount=usage.charge),
            total_calls=meter.calls,
            total_records=meter.records,
            total_megabytes=meter.megabytes,
            max_calls=meter.max_calls,
            max_records=meter.max_records,
        )
