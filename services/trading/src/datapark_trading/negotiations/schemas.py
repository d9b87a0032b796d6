"""Request and response models of negotiations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from datapark_contracts.events.trading import Terms
from datapark_kit.schemas import RequestModel

if TYPE_CHECKING:
    from datapark_trading.negotiations.service import NegotiationView


class NegotiationCreate(RequestModel):
    """A consumer requests terms for a listing, or its provider offers terms to ``consumer_id``."""

    listing_id: uuid.UUID
    terms: Terms
    consumer_id: uuid.UUID | None = Field(
        default=None, description="when the provider opens with an offer: to whom"
    )
    response_window_seconds: int = Field(default=3 * 24 * 3600, ge=60, le=90 * 24 * 3600)
    requires_approval: bool = Field(
        default=False, description="the provider must approve each round before agreeing"
    )
    amends: uuid.UUID | None = Field(default=None, description="the agreement to amend")


class CounterRequest(RequestModel):
    terms: Terms


class ApproveRequest(RequestModel):
    approver: str | None = Field(default=None, max_length=200)


class TerminateNegotiation(RequestModel):
    reason: str = Field(min_length=1, max_length=1000)


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    round: int
    offered_by: str
    terms: Terms
    offered_at: datetime


class _NegotiationColumns(BaseModel):
    """The fields of a negotiation read from its row, by name."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    listing_id: uuid.UUID
    provider_id: uuid.UUID
    consumer_id: uuid.UUID
    state: str
    requires_approval: bool
    approved_round: int | None
    agreement_id: uuid.UUID | None
    amends: uuid.UUID | None
    expires_at: datetime
    termination_reason: str | None
    terminated_by: str | None


class NegotiationOut(_NegotiationColumns):
    offers: list[OfferOut]
    waiting_for: str

    @classmethod
    def of(cls, view: NegotiationView) -> NegotiationOut:
        """The row's fields, its rounds of terms and what it waits for."""
        columns = _NegotiationColumns.model_validate(view.row)
        return cls(
            **dict(columns),
            offers=[OfferOut.model_validate(o) for o in view.offers],
            waiting_for=view.waiting_for,
        )


class NegotiationPage(BaseModel):
    items: list[NegotiationOut]
    next_cursor: str | None
