"""Request and response models of negotiations."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from datapark_contracts.events.trading import Terms
from datapark_kit.schemas import RequestModel


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
    round: int
    offered_by: str
    terms: Terms
    offered_at: datetime


class NegotiationOut(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    provider_id: uuid.UUID
    consumer_id: uuid.UUID
    state: str
    offers: list[OfferOut]
    requires_approval: bool
    approved_round: int | None
    agreement_id: uuid.UUID | None
    amends: uuid.UUID | None
    expires_at: datetime
    waiting_for: str
    termination_reason: str | None
    terminated_by: str | None


class NegotiationPage(BaseModel):
    items: list[NegotiationOut]
    next_cursor: str | None
