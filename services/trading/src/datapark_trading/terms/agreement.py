"""Agreements (数据交易合同): immutable once concluded.

An agreement fixes who trades what, at which price terms, under which usage policy, from when
until when. It never changes: an amendment is a new agreement that names the one it amends, and
the old one is marked superseded; a termination records who ended it and why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from datapark_kit.errors import InvalidState, Unprocessable
from datapark_trading.terms.parties import Party, Termination
from datapark_trading.terms.policy import UsagePolicy
from datapark_trading.terms.pricing import Pricing, Subscription


class AgreementStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"


class Origin(StrEnum):
    """How the agreement came about: a plain order at listed terms or a negotiation."""

    ORDER = "order"
    NEGOTIATION = "negotiation"


@dataclass(frozen=True, slots=True)
class Terms:
    """What is being agreed: price terms and usage policy."""

    pricing: Pricing
    policy: UsagePolicy

    @property
    def currency(self) -> str:
        return self.pricing.currency


@dataclass(frozen=True, slots=True)
class Agreement:
    """A concluded agreement between a provider (seller) and a consumer (buyer)."""

    id: UUID
    listing_id: UUID
    provider_id: UUID
    consumer_id: UUID
    terms: Terms
    origin: Origin
    origin_id: UUID
    concluded_at: datetime
    starts_at: datetime
    ends_at: datetime
    amends: UUID | None = None
    superseded_by: UUID | None = None
    termination: Termination | None = None

    def status_at(self, now: datetime) -> AgreementStatus:
        if self.termination is not None:
            return AgreementStatus.TERMINATED
        if self.superseded_by is not None:
            return AgreementStatus.SUPERSEDED
        if now >= self.ends_at:
            return AgreementStatus.EXPIRED
        if now < self.starts_at:
            return AgreementStatus.PENDING
        return AgreementStatus.ACTIVE

    def party_of(self, participant_id: UUID) -> Party | None:
        """Which side ``participant_id`` is on, or ``None`` if it is not a party."""
        if participant_id == self.provider_id:
            return Party.PROVIDER
        if participant_id == self.consumer_id:
            return Party.CONSUMER
        return None

    def require_running(self, action: str, now: datetime) -> None:
        """Refuse ``action`` unless the agreement is pending or active (409 with the reason)."""
        status = self.status_at(now)
        if status in (AgreementStatus.PENDING, AgreementStatus.ACTIVE):
            return
        if self.termination is not None:
            reason = f"agreement was terminated: {self.termination.reason}"
        elif self.superseded_by is not None:
            reason = f"agreement was amended by agreement {self.superseded_by}"
        else:
            reason = f"agreement expired at {self.ends_at.isoformat()}"
        raise InvalidState("agreement", status.value, action, reason)


def conclude(
    *,
    agreement_id: UUID,
    listing_id: UUID,
    provider_id: UUID,
    consumer_id: UUID,
    terms: Terms,
    origin: Origin,
    origin_id: UUID,
    at: datetime,
    starts_at: datetime | None = None,
    amends: UUID | None = None,
) -> Agreement:
    """Conclude an agreement running ``[starts_at, starts_at + policy.duration)``."""
    if provider_id == consumer_id:
        raise Unprocessable("a participant cannot trade with itself", field="consumer_id")
    start = starts_at or at
    if start < at:
        raise Unprocessable("an agreement cannot start in the past", field="starts_at")
    end = start + terms.policy.duration
    pricing = terms.pricing
    if isinstance(pricing, Subscription) and pricing.end(start) > end:
        raise Unprocessable(
            "the subscription's periods run past the agreement's duration", field="pricing"
        )
    return Agreement(
        id=agreement_id,
        listing_id=listing_id,
        provider_id=provider_id,
        consumer_id=consumer_id,
        terms=terms,
        origin=origin,
        origin_id=origin_id,
        concluded_at=at,
        starts_at=start,
        ends_at=end,
        amends=amends,
    )


def terminate(agreement: Agreement, *, by: Party | None, reason: str, at: datetime) -> Agreement:
    """Either side (or the venue, ``by=None``) ends a running agreement, saying why."""
    agreement.require_running("terminate", at)
    return dataclasses.replace(agreement, termination=Termination(reason=reason, at=at, by=by))


def amend(
    agreement: Agreement, *, new_id: UUID, terms: Terms, origin_id: UUID, at: datetime
) -> tuple[Agreement, Agreement]:
    """Replace a running agreement by a new one linked to it; returns ``(old, new)``.

    The parties and the listing stay; the new terms run from ``at``. The old agreement is
    unchanged except for the mark that it was superseded.
    """
    agreement.require_running("amend", at)
    new = conclude(
        agreement_id=new_id,
        listing_id=agreement.listing_id,
        provider_id=agreement.provider_id,
        consumer_id=agreement.consumer_id,
        terms=terms,
        origin=Origin.NEGOTIATION,
        origin_id=origin_id,
        at=at,
        amends=agreement.id,
    )
    return dataclasses.replace(agreement, superseded_by=new.id), new
