"""Request and response models of agreements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.agreements.codec import agreement_value
from datapark_trading.contracting.service import AgreementView
from datapark_trading.terms.schemas import Terms


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

    @classmethod
    def of(cls, view: AgreementView) -> AgreementOut:
        """One agreement as the API shows it, with its escrow lock and what it still holds."""
        row = view.row
        escrow = None
        if view.escrow is not None:
            lock, remaining = view.escrow
            escrow = EscrowOut(
                lock_id=lock.id,
                amount=f"{lock.amount:.2f}",
                currency=lock.currency,
                remaining=f"{remaining:.2f}",
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


_AGREEMENT_COLUMNS = tuple(
    name for name in AgreementOut.model_fields if name not in ("terms", "status", "escrow")
)
