"""Request and response models of negotiations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.terms.schemas import TERMS_EXAMPLE, Terms

if TYPE_CHECKING:
    from datapark_trading.negotiations.service import NegotiationView

LISTING = "0f3a6c1e-5b2d-4c8e-9a71-2d4b6e8f1a35"
PROVIDER = "3c9e1f0a-7b24-4d6a-8e15-9f2c4b7d1a60"
CONSUMER = "8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84"


class NegotiationCreate(RequestModel):
    """A consumer requests terms for a listing, or its provider offers terms to ``consumer_id``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listing_id": LISTING,
                    "terms": TERMS_EXAMPLE,
                    "response_window_seconds": 259200,
                }
            ]
        }
    )

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


_COUNTER_TERMS = {
    **TERMS_EXAMPLE,
    "pricing": {"kind": "fixed", "price": {"amount": "550.00", "currency": "CNY"}},
}


class CounterRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"terms": _COUNTER_TERMS}]})

    terms: Terms


class ApproveRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"approver": "Wang Li (legal)"}]})

    approver: str | None = Field(default=None, max_length=200)


class TerminateNegotiation(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the budget for this purchase was withdrawn"}]}
    )

    reason: str = Field(min_length=1, max_length=1000)


_OFFER: dict[str, Any] = {
    "round": 1,
    "offered_by": "consumer",
    "terms": TERMS_EXAMPLE,
    "offered_at": "2026-11-30T09:15:00+00:00",
}


class OfferOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OFFER]})

    round: int
    offered_by: str
    terms: Terms
    offered_at: datetime


_NEGOTIATION: dict[str, Any] = {
    "id": "6e2b8d4f-1a3c-4e5b-9d7f-0c2a4e6b8d13",
    "listing_id": LISTING,
    "provider_id": PROVIDER,
    "consumer_id": CONSUMER,
    "state": "REQUESTED",
    "offers": [_OFFER],
    "requires_approval": False,
    "approved_round": None,
    "agreement_id": None,
    "amends": None,
    "expires_at": "2026-12-03T09:15:00+00:00",
    "waiting_for": "provider to counter-offer or agree by 2026-12-03T09:15:00+00:00",
    "termination_reason": None,
    "terminated_by": None,
}


class NegotiationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NEGOTIATION]})

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

    @classmethod
    def of(cls, view: NegotiationView) -> NegotiationOut:
        """The row's columns by name, its rounds of terms and what it waits for."""
        columns = {name: getattr(view.row, name) for name in _NEGOTIATION_COLUMNS}
        offers = [
            OfferOut(
                round=o.round,
                offered_by=o.offered_by,
                terms=Terms.of_wire(o.terms),
                offered_at=o.offered_at,
            )
            for o in view.offers
        ]
        return cls.model_validate(columns | {"offers": offers, "waiting_for": view.waiting_for})


_NEGOTIATION_COLUMNS = tuple(
    name for name in NegotiationOut.model_fields if name not in ("offers", "waiting_for")
)


class NegotiationPage(BaseModel):
    items: list[NegotiationOut]
    next_cursor: str | None
