"""Request and response models of agreements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from datapark_contracts.events.trading import Terms
from datapark_kit.schemas import RequestModel


class TermsBody(BaseModel):
    """Terms as sent and shown: price terms and usage policy (the contract's shape)."""

    terms: Terms


class AgreementOut(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    product_id: uuid.UUID
    provider_id: uuid.UUID
    consumer_id: uuid.UUID
    terms: Terms
    origin: str
    origin_id: uuid.UUID
    status: str
    concluded_at: datetime
    starts_at: datetime
    ends_at: datetime
    amends: uuid.UUID | None
    superseded_by: uuid.UUID | None
    terminated_by: str | None
    termination_reason: str | None
    escrow: EscrowOut | None = None


class EscrowOut(BaseModel):
    lock_id: uuid.UUID
    amount: str
    currency: str
    remaining: str
    fee_rate: str
    status: str
    expires_at: datetime
    close_reason: str | None


# An agreement's status, or ``running`` for pending or active (not terminated, superseded, expired).
AgreementState = Literal["pending", "active", "expired", "terminated", "superseded", "running"]


class AgreementPage(BaseModel):
    items: list[AgreementOut]
    next_cursor: str | None


class TerminateRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=1000)


AgreementOut.model_rebuild()
