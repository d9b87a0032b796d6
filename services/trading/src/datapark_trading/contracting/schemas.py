"""Request and response models of agreements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_contracts.money import Money
from datapark_kit.schemas import RequestModel
from datapark_trading.agreements.codec import agreement_value
from datapark_trading.contracting.service import AgreementView
from datapark_trading.terms.schemas import TERMS_EXAMPLE, Terms


class TermsBody(BaseModel):
    """Terms as sent and shown: price terms and usage policy (the contract's shape)."""

    terms: Terms


ESCROW_EXAMPLE: dict[str, Any] = {
    "lock_id": "0193a7e2-7d8e-7f90-8a1b-2c3d4e5f6071",
    "amount": {"amount": "600.00", "currency": "CNY"},
    "remaining": {"amount": "600.00", "currency": "CNY"},
    "fee_rate": "0.0300",
    "status": "held",
    "expires_at": "2027-11-30T09:18:00+00:00",
    "close_reason": None,
}
AGREEMENT_EXAMPLE: dict[str, Any] = {
    "id": "0193a7e2-6c1d-7b3a-9e5f-2d4c6b8a0e13",
    "listing_id": "0f3a6c1e-5b2d-4c8e-9a71-2d4b6e8f1a35",
    "product_id": "2b4d6f8a-0c1e-4a3b-8d5f-7a9c1e3b5d70",
    "provider_id": "3c9e1f0a-7b24-4d6a-8e15-9f2c4b7d1a60",
    "consumer_id": "8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84",
    "terms": TERMS_EXAMPLE,
    "origin": "negotiation",
    "origin_id": "6e2b8d4f-1a3c-4e5b-9d7f-0c2a4e6b8d13",
    "status": "active",
    "concluded_at": "2026-11-30T09:18:00+00:00",
    "starts_at": "2026-11-30T09:18:00+00:00",
    "ends_at": "2027-11-30T09:18:00+00:00",
    "amends": None,
    "superseded_by": None,
    "terminated_by": None,
    "termination_reason": None,
    "escrow": ESCROW_EXAMPLE,
}
"""A year's use concluded by negotiation, its 600.00 CNY held in escrow."""


class AgreementOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [AGREEMENT_EXAMPLE]})

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

    @classmethod
    def of(cls, view: AgreementView) -> AgreementOut:
        """One agreement as the API shows it, with its escrow lock and what it still holds."""
        row = view.row
        escrow = None
        if view.escrow is not None:
            lock, remaining = view.escrow
            escrow = EscrowOut(
                lock_id=lock.id,
                amount=Money(amount=lock.amount, currency=lock.currency),
                remaining=Money(amount=remaining, currency=lock.currency),
                fee_rate=str(lock.fee_rate),
                status=lock.status,
                expires_at=lock.expires_at,
                close_reason=lock.close_reason,
            )
        columns = {name: getattr(row, name) for name in _AGREEMENT_COLUMNS}
        status = agreement_value(row).status_at(view.at).value
        terms = Terms.of_wire(row.terms)
        return cls.model_validate(columns | {"terms": terms, "status": status, "escrow": escrow})


class EscrowOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ESCROW_EXAMPLE]})

    lock_id: uuid.UUID
    amount: Money
    remaining: Money
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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the data no longer meets the agreed quality"}]}
    )

    reason: str = Field(min_length=1, max_length=1000)


AgreementOut.model_rebuild()


_AGREEMENT_COLUMNS = tuple(
    name for name in AgreementOut.model_fields if name not in ("terms", "status", "escrow")
)
