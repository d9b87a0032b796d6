"""Request and response models of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from datapark_kit.schemas import RequestModel


class DepositCreate(RequestModel):
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    currency: Literal["CNY"] = "CNY"
    reference: str = Field(min_length=1, max_length=200, description="the bank transfer's ref")


class LockOut(BaseModel):
    lock_id: uuid.UUID
    agreement_id: uuid.UUID
    role: Literal["buyer", "seller"]
    amount: str
    expires_at: datetime


class AccountOut(BaseModel):
    participant_id: uuid.UUID
    currency: str
    available: str = Field(description="buyer funds free to lock")
    locked: str = Field(description="buyer funds held in escrow")
    proceeds: str = Field(description="what the participant's sales have earned")
    locks: list[LockOut]
