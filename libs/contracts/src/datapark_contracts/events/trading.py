"""Payloads published by trading on ``trading.trades.v1``.

Aggregates and their Kafka keys (the key is always the aggregate id):

- ``order`` (key ``order_id``): a purchase at a listing's own price terms;
- ``negotiation`` (key ``negotiation_id``): Dataspace Protocol negotiation, one snapshot per move;
- ``agreement`` (key ``agreement_id``): the concluded agreement and, on the same key so they
  stay in order with it, its escrow movements and its metered use;
- ``transfer`` (key ``transfer_id``): a delivery under an agreement;
- ``account`` (key ``account_id`` = the participant id): funds deposited for buying.

Money is ``{"amount": "12.00", "currency": "CNY"}``; a metered unit price is a decimal string
that may have more places; durations are whole seconds; times are RFC 3339 with offset.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from datapark_contracts.money import Money
from datapark_contracts.payloads import EventPayload, P, event
from datapark_contracts.topics import TRADING_TRADES

Party = Literal["consumer", "provider"]
UnitPrice = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$"}),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UsagePolicy(_Frozen):
    """The agreed terms of use (ODRL-like)."""

    purpose: str
    permitted_uses: tuple[str, ...]
    territory: tuple[str, ...]
    duration_seconds: int = Field(gt=0)
    max_calls: int | None = None
    max_records: int | None = None
    onward_transfer: bool = False
    on_delisting: Literal["continue", "suspend", "terminate"] = "continue"


class FixedTerms(_Frozen):
    kind: Literal["fixed"] = "fixed"
    price: Money


class SubscriptionTerms(_Frozen):
    kind: Literal["subscription"] = "subscription"
    price_per_period: Money
    period_months: int = Field(ge=1, le=12)
    periods: int = Field(ge=1)


class MeteredTerms(_Frozen):
    kind: Literal["metered"] = "metered"
    unit: Literal["call", "record", "megabyte"]
    unit_price: UnitPrice
    currency: Literal["CNY"] = "CNY"
    budget: Money
    monthly_cap: Money | None = None


PricingTerms = Annotated[FixedTerms | SubscriptionTerms | MeteredTerms, Field(discriminator="kind")]


class Terms(_Frozen):
    pricing: PricingTerms
    policy: UsagePolicy


def _trade(event_type: str, aggregate: str) -> Callable[[P], P]:
    return event(event_type, topic=TRADING_TRADES, aggregate=aggregate)


# --- orders --------------------------------------------------------------------------------


@_trade("datapark.trading.order.placed.v1", "order")
class OrderPlaced(EventPayload):
    """A consumer bought at the listing's own terms; the agreement is concluded at once."""

    order_id: UUID
    listing_id: UUID
    product_id: UUID
    venue_code: str
    consumer_id: UUID
    provider_id: UUID
    placed_by: UUID
    """The caller: the consumer itself or a partner acting for it."""
    terms: Terms
    agreement_id: UUID
    occurred_at: AwareDatetime


# --- negotiations --------------------------------------------------------------------------


class NegotiationSnapshot(EventPayload):
    """The negotiation after the move, with the terms on the table."""

    negotiation_id: UUID
    listing_id: UUID
    provider_id: UUID
    consumer_id: UUID
    state: Literal[
        "REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED"
    ]
    round: int
    offered_by: Party
    terms: Terms
    requires_approval: bool
    approved_round: int | None = None
    agreement_id: UUID | None = None
    amends: UUID | None = None
    expires_at: AwareDatetime
    waiting_for: str
    """What the negotiation waits on, in words: it never stalls silently."""
    acted_by: Party | None
    termination_reason: str | None = None
    occurred_at: AwareDatetime


def _negotiation(fact: str) -> Callable[[P], P]:
    return _trade(f"datapark.trading.negotiation.{fact}.v1", "negotiation")


@_negotiation("requested")
class NegotiationRequested(NegotiationSnapshot):
    """A consumer asked for terms (∅ → REQUESTED)."""


@_negotiation("offered")
class NegotiationOffered(NegotiationSnapshot):
    """A provider offered terms to a consumer (∅ → OFFERED)."""


@_negotiation("counter_offered")
class NegotiationCounterOffered(NegotiationSnapshot):
    """The provider answered a request with other terms (REQUESTED → OFFERED)."""


@_negotiation("counter_requested")
class NegotiationCounterRequested(NegotiationSnapshot):
    """The consumer answered an offer with other terms (OFFERED → REQUESTED)."""


@_negotiation("accepted")
class NegotiationAccepted(NegotiationSnapshot):
    """The consumer accepted the provider's offer."""


@_negotiation("approved")
class NegotiationApproved(NegotiationSnapshot):
    """A person on the provider's side approved the current round."""

    approver: str


@_negotiation("agreed")
class NegotiationAgreed(NegotiationSnapshot):
    """The provider agreed to the terms on the table."""


@_negotiation("verified")
class NegotiationVerified(NegotiationSnapshot):
    """The consumer verified the agreement."""


@_negotiation("finalized")
class NegotiationFinalized(NegotiationSnapshot):
    """The provider finalized: the agreement is concluded."""


@_negotiation("terminated")
class NegotiationTerminated(NegotiationSnapshot):
    """One side ended the negotiation; ``termination_reason`` says why."""


@_negotiation("expired")
class NegotiationExpired(NegotiationSnapshot):
    """Nobody answered in time; ``termination_reason`` records who was awaited."""


# --- agreements ----------------------------------------------------------------------------


class AgreementSnapshot(EventPayload):
    """The agreement; its terms never change (an amendment is a new agreement)."""

    agreement_id: UUID
    listing_id: UUID
    product_id: UUID
    provider_id: UUID
    consumer_id: UUID
    terms: Terms
    origin: Literal["order", "negotiation"]
    origin_id: UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    amends: UUID | None = None
    superseded_by: UUID | None = None
    status: Literal["pending", "active", "expired", "terminated", "superseded"]
    terminated_by: Party | None = None
    termination_reason: str | None = None
    occurred_at: AwareDatetime


def _agreement(fact: str) -> Callable[[P], P]:
    return _trade(f"datapark.trading.agreement.{fact}.v1", "agreement")


@_agreement("concluded")
class AgreementConcluded(AgreementSnapshot):
    """An agreement took effect (from an order or a finalized negotiation)."""


@_agreement("superseded")
class AgreementSuperseded(AgreementSnapshot):
    """An amendment replaced this agreement; ``superseded_by`` names the new one."""


@_agreement("terminated")
class AgreementTerminated(AgreementSnapshot):
    """A side (or the venue, ``terminated_by`` None) ended the agreement, with the reason."""


class EscrowMovement(EventPayload):
    """Money moved for the agreement's escrow lock (double entry, balanced)."""

    agreement_id: UUID
    lock_id: UUID
    transaction_id: UUID | None
    buyer_id: UUID
    seller_id: UUID
    amount: Money
    """What left or entered the lock."""
    seller_amount: Money | None = None
    fee_amount: Money | None = None
    lock_remaining: Money
    lock_expires_at: AwareDatetime
    reason: str | None = None
    occurred_at: AwareDatetime


@_agreement("escrow_locked")
class EscrowLocked(EscrowMovement):
    """The buyer's money is held for the agreement until ``lock_expires_at``."""


@_agreement("escrow_claimed")
class EscrowClaimed(EscrowMovement):
    """An increment (a period, metered use) was paid to the seller, less the venue fee."""


@_agreement("escrow_released")
class EscrowReleased(EscrowMovement):
    """Delivery confirmed: the rest of the lock was paid to the seller, less the venue fee."""


@_agreement("escrow_refunded")
class EscrowRefunded(EscrowMovement):
    """The rest of the lock went back to the buyer (termination, expiry, unused budget)."""


@_agreement("usage_recorded")
class UsageRecorded(EventPayload):
    """Metered use counted under the agreement (refused use is never recorded)."""

    agreement_id: UUID
    transfer_id: UUID
    calls: int
    records: int
    megabytes: int
    total_calls: int
    total_records: int
    total_megabytes: int
    charge: Money
    occurred_at: AwareDatetime


# --- transfers -----------------------------------------------------------------------------


class TransferSnapshot(EventPayload):
    """A delivery; the access token itself is never published."""

    transfer_id: UUID
    agreement_id: UUID
    provider_id: UUID
    consumer_id: UUID
    state: Literal["REQUESTED", "STARTED", "SUSPENDED", "COMPLETED", "TERMINATED"]
    endpoint: str | None = None
    grant_expires_at: AwareDatetime | None = None
    grant_revoked_at: AwareDatetime | None = None
    confirm_due_at: AwareDatetime | None = None
    suspension: str | None = None
    confirmed_by: Literal["consumer", "auto"] | None = None
    termination_reason: str | None = None
    occurred_at: AwareDatetime


def _transfer(fact: str) -> Callable[[P], P]:
    return _trade(f"datapark.trading.transfer.{fact}.v1", "transfer")


@_transfer("requested")
class TransferRequested(TransferSnapshot):
    """The consumer asked for delivery."""


@_transfer("started")
class TransferStarted(TransferSnapshot):
    """The provider started delivery and issued an access grant."""


@_transfer("suspended")
class TransferSuspended(TransferSnapshot):
    """Delivery paused; ``suspension`` says why."""


@_transfer("resumed")
class TransferResumed(TransferSnapshot):
    """Delivery continues."""


@_transfer("completed")
class TransferCompleted(TransferSnapshot):
    """Receipt confirmed by the consumer or automatically after the set period."""


@_transfer("terminated")
class TransferTerminated(TransferSnapshot):
    """Delivery ended and the grant revoked."""


# --- accounts ------------------------------------------------------------------------------


@_trade("datapark.trading.account.funds_deposited.v1", "account")
class FundsDeposited(EventPayload):
    """Money arrived for a participant's buying account (``account_id`` = participant id)."""

    account_id: UUID
    transaction_id: UUID
    amount: Money
    available: Money
    occurred_at: AwareDatetime
