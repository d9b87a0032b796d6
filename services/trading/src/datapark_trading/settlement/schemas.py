"""Request and response models of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.settlement.service import AccountView


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

    @classmethod
    def of(cls, view: AccountView) -> AccountOut:
        """The account as the ledger sums it: balances, and each lock with the side it is on."""
        return cls(
            participant_id=view.participant_id,
            currency=view.currency,
            available=f"{view.available:.2f}",
            locked=f"{view.locked:.2f}",
            proceeds=f"{view.proceeds:.2f}",
            locks=[
                LockOut(
                    lock_id=lk.id,
                    agreement_id=lk.agreement_id,
                    role="buyer" if lk.buyer_id == view.participant_id else "seller",
                    amount=f"{lk.amount:.2f}",
                    expires_at=lk.expires_at,
                )
                for lk in view.locks
            ],
        )
