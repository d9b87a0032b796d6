"""Request and response models of transfers and usage."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.transfers.models import TransferRow
from datapark_trading.transfers.service import transfer_value

# The counters are Postgres ``integer`` columns; a year bounds every waiting period.
INT_MAX = 2**31 - 1
YEAR_SECONDS = 365 * 24 * 3600


class TransferCreate(RequestModel):
    confirm_after_seconds: int | None = Field(
        default=None,
        ge=60,
        le=YEAR_SECONDS,
        description="when receipt is confirmed automatically after start",
    )


class TransferStart(RequestModel):
    endpoint: str = Field(min_length=9, max_length=2000, description="https URL of the data")
    grant_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60, le=YEAR_SECONDS)


class ReasonBody(RequestModel):
    reason: str = Field(min_length=1, max_length=1000)


class TransferOut(BaseModel):
    """A transfer as stored, with when its confirmation falls due."""

    model_config = ConfigDict(from_attributes=True)

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

    access_token: str = Field(min_length=32, max_length=200)
    use: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=2, max_length=20)
    calls: int = Field(default=0, ge=0, le=INT_MAX)
    records: int = Field(default=0, ge=0, le=INT_MAX)
    megabytes: int = Field(default=0, ge=0, le=INT_MAX)


class UsageOut(BaseModel):
    id: uuid.UUID
    agreement_id: uuid.UUID
    transfer_id: uuid.UUID
    charge: str
    currency: str = "CNY"
    total_calls: int
    total_records: int
    total_megabytes: int
    max_calls: int | None
    max_records: int | None
