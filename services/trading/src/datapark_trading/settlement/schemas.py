"""Request and response models of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from datapark_contracts.money import Money
from datapark_kit.schemas import RequestModel
from datapark_trading.settlement.service import AccountView


class DepositCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": "20000.00", "currency": "CNY", "reference": "ICBC 2026113000417"}
            ]
        }
    )

    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    currency: Literal["CNY"] = "CNY"
    reference: str = Field(min_length=1, max_length=200, description="the bank transfer's ref")


_LOCK: JsonDict = {
    "lock_id": "0193a7e2-7d8e-7f90-8a1b-2c3d4e5f6071",
    "agreement_id": "0193a7e2-6c1d-7b3a-9e5f-2d4c6b8a0e13",
    "role": "buyer",
    "amount": {"amount": "600.00", "currency": "CNY"},
    "expires_at": "2027-11-30T09:18:00+00:00",
}


class LockOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LOCK]})

    lock_id: uuid.UUID
    agreement_id: uuid.UUID
    role: Literal["buyer", "seller"]
    amount: Money
    expires_at: datetime


class AccountOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "participant_id": "8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84",
                    "available": {"amount": "19400.00", "currency": "CNY"},
                    "locked": {"amount": "600.00", "currency": "CNY"},
                    "proceeds": {"amount": "0.00", "currency": "CNY"},
                    "locks": [_LOCK],
                }
            ]
        }
    )

    participant_id: uuid.UUID
    available: Money = Field(description="buyer funds free to lock")
    locked: Money = Field(description="buyer funds held in escrow")
    proceeds: Money = Field(description="what the participant's sales have earned")
    locks: list[LockOut]

    @classmethod
    def of(cls, view: AccountView) -> AccountOut:
        """The account as the ledger sums it: balances, and each lock with the side it is on."""
        return cls(
            participant_id=view.participant_id,
            available=Money(amount=view.available, currency=view.currency),
            locked=Money(amount=view.locked, currency=view.currency),
            proceeds=Money(amount=view.proceeds, currency=view.currency),
            locks=[
                LockOut(
                    lock_id=lk.id,
                    agreement_id=lk.agreement_id,
                    role="buyer" if lk.buyer_id == view.participant_id else "seller",
                    amount=Money(amount=lk.amount, currency=lk.currency),
                    expires_at=lk.expires_at,
                )
                for lk in view.locks
            ],
        )
