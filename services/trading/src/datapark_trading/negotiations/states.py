"""The contract negotiation state machine (Dataspace Protocol, as Eclipse EDC uses it).

    consumer requests      ∅ → REQUESTED          provider offers        ∅ → OFFERED
    provider counter-offers REQUESTED → OFFERED   consumer counter-requests OFFERED → REQUESTED
    consumer accepts       OFFERED → ACCEPTED     provider agrees  REQUESTED | ACCEPTED → AGREED
    consumer verifies      AGREED → VERIFIED      provider finalizes     VERIFIED → FINALIZED
    either side terminates any non-final state → TERMINATED

Beyond EDC: counter-offers both ways (every offer is kept, numbered by round), an optional
approval on the provider's side (a person approves the current round before the provider may
agree), and a response deadline on every step: a negotiation always says whom it waits for,
and when that party does not answer in time it expires with a recorded reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.agreement import Terms
from datapark_trading.terms.parties import Party, Termination

ENTITY = "negotiation"
MIN_WINDOW = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=90)


class NegotiationState(StrEnum):
    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"

    @property
    def is_final(self) -> bool:
        return self in (NegotiationState.FINALIZED, NegotiationState.TERMINATED)


class Action(StrEnum):
    REQUEST = "request"
    OFFER = "offer"
    ACCEPT = "accept"
    APPROVE = "approve"
    AGREE = "agree"
    VERIFY = "verify"
    FINALIZE = "finalize"
    TERMINATE = "terminate"


@dataclass(frozen=True, slots=True)
class Step:
    """One allowed move: who may take it, from which states, into which state."""

    party: Party
    sources: frozenset[NegotiationState]
    target: NegotiationState


S = NegotiationState
STEPS: dict[Action, Step] = {
    Action.REQUEST: Step(Party.CONSUMER, frozenset({S.OFFERED}), S.REQUESTED),
    Action.OFFER: Step(Party.PROVIDER, frozenset({S.REQUESTED}), S.OFFERED),
    Action.ACCEPT: Step(Party.CONSUMER, frozenset({S.OFFERED}), S.ACCEPTED),
    Action.AGREE: Step(Party.PROVIDER, frozenset({S.REQUESTED, S.ACCEPTED}), S.AGREED),
    Action.VERIFY: Step(Party.CONSUMER, frozenset({S.AGREED}), S.VERIFIED),
    Action.FINALIZE: Step(Party.PROVIDER, frozenset({S.VERIFIED}), S.FINALIZED),
}
"""Every move except termination (either side, any non-final state) and approval."""

APPROVABLE = frozenset({S.REQUESTED, S.OFFERED, S.ACCEPTED})

NEXT_MOVES: dict[NegotiationState, tuple[Party, str]] = {
    S.REQUESTED: (Party.PROVIDER, "counter-offer or agree"),
    S.OFFERED: (Party.CONSUMER, "accept or counter-request"),
    S.ACCEPTED: (Party.PROVIDER, "agree"),
    S.AGREED: (Party.CONSUMER, "verify"),
    S.VERIFIED: (Party.PROVIDER, "finalize"),
}


@dataclass(frozen=True, slots=True)
class Offer:
    """Terms put on the table by one side; rounds count from 1."""

    round: int
    by: Party
    terms: Terms
    at: datetime


@dataclass(frozen=True, slots=True)
class Approval:
    """The provider-side approval of one offer round."""

    round: int
    approver: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Negotiation:
    """A negotiation over one listing between its provider and a consumer."""

    id: UUID
    listing_id: UUID
    provider_id: UUID
    consumer_id: UUID
    state: NegotiationState
    offers: tuple[Offer, ...]
    response_window: timedelta
    updated_at: datetime
    expires_at: datetime
    requires_approval: bool = False
    approval: Approval | None = None
    agreement_id: UUID | None = None
    amends: UUID | None = None
    termination: Termination | None = None

    @property
    def current_offer(self) -> Offer:
        return self.offers[-1]

    @property
    def awaiting(self) -> Party | None:
        """The side whose move it is; ``None`` once the negotiation is over."""
        move = NEXT_MOVES.get(self.state)
        return move[0] if move else None

    @property
    def approval_pending(self) -> bool:
        return self.requires_approval and (
            self.approval is None or self.approval.round != self.current_offer.round
        )

    def waiting_for(self) -> str:
        """Plain words for what the negotiation waits on (shown to both sides; never silent)."""
        if self.termination is not None:
            return f"nothing: terminated ({self.termination.reason})"
        if self.state is S.FINALIZED:
            return "nothing: finalized"
        party, moves = NEXT_MOVES[self.state]
        text = f"{party.value} to {moves} by {self.expires_at.isoformat()}"
        if self.approval_pending and self.state in APPROVABLE:
            text += f" (provider approval of round {self.current_offer.round} pending)"
        return text

    def party_of(self, participant_id: UUID) -> Party | None:
        if participant_id == self.provider_id:
            return Party.PROVIDER
        if participant_id == self.consumer_id:
            return Party.CONSUMER
        return None


def _check_window(window: timedelta) -> None:
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise Unprocessable(
            "the response window is between one minute and ninety days", field="response_window"
        )


def _open(
    *,
    negotiation_id: UUID,
    listing_id: UUID,
    provider_id: UUID,
    consumer_id: UUID,
    by: Party,
    terms: Terms,
    at: datetime,
    response_window: timedelta,
    requires_approval: bool,
    amends: UUID | None,
) -> Negotiation:
    _check_window(response_window)
    if provider_id == consumer_id:
        raise Unprocessable("a participant cannot negotiate with itself", field="consumer_id")
    return Negotiation(
        id=negotiation_id,
        listing_id=listing_id,
        provider_id=provider_id,
        consumer_id=consumer_id,
        state=S.REQUESTED if by is Party.CONSUMER else S.OFFERED,
        offers=(Offer(round=1, by=by, terms=terms, at=at),),
        response_window=response_window,
        updated_at=at,
        expires_at=at + response_window,
        requires_approval=requires_approval,
        amends=amends,
    )


def request(
    *,
    negotiation_id: UUID,
    listing_id: UUID,
    provider_id: UUID,
    consumer_id: UUID,
    terms: Terms,
    at: datetime,
    response_window: timedelta,
    requires_approval: bool = False,
    amends: UUID | None = None,
) -> Negotiation:
    """The consumer opens a negotiation by requesting terms (∅ → REQUESTED)."""
    return _open(
        negotiation_id=negotiation_id,
        listing_id=listing_id,
        provider_id=provider_id,
        consumer_id=consumer_id,
        by=Party.CONSUMER,
        terms=terms,
        at=at,
        response_window=response_window,
        requires_approval=requires_approval,
        amends=amends,
    )


def offer(
    *,
    negotiation_id: UUID,
    listing_id: UUID,
    provider_id: UUID,
    consumer_id: UUID,
    terms: Terms,
    at: datetime,
    response_window: timedelta,
    requires_approval: bool = False,
    amends: UUID | None = None,
) -> Negotiation:
    """The provider opens a negotiation by offering terms to a consumer (∅ → OFFERED)."""
    return _open(
        negotiation_id=negotiation_id,
        listing_id=listing_id,
        provider_id=provider_id,
        consumer_id=consumer_id,
        by=Party.PROVIDER,
        terms=terms,
        at=at,
        response_window=response_window,
        requires_approval=requires_approval,
        amends=amends,
    )


def _require_open(n: Negotiation, action: Action, at: datetime) -> None:
    """Refuse any move on a finished or expired negotiation: 409 with the state and why."""
    if n.termination is not None:
        raise InvalidState(
            ENTITY,
            n.state.value,
            action.value,
            f"negotiation was terminated: {n.termination.reason}",
        )
    if n.state.is_final:
        raise InvalidState(ENTITY, n.state.value, action.value, "negotiation is finalized")
    if at >= n.expires_at:
        raise InvalidState(
            ENTITY,
            n.state.value,
            action.value,
            f"negotiation expired at {n.expires_at.isoformat()} "
            f"while waiting for the {n.waiting_for()}",
        )


def _take(n: Negotiation, action: Action, by: Party, at: datetime) -> Step:
    _require_open(n, action, at)
    step = STEPS[action]
    if by is not step.party:
        raise Forbidden(
            f"only the {step.party.value} may {action.value}", code=TradingProblem.WRONG_PARTY
        )
    if n.state not in step.sources:
        allowed = " or ".join(sorted(s.value for s in step.sources))
        raise InvalidState(
            ENTITY,
            n.state.value,
            action.value,
            f"{action.value} needs the negotiation in {allowed}, it is {n.state.value}",
        )
    return step


def _moved(n: Negotiation, target: NegotiationState, at: datetime) -> Negotiation:
    """``n`` in ``target``, with a fresh deadline for the other side's answer."""
    return dataclasses.replace(n, state=target, updated_at=at, expires_at=at + n.response_window)


def counter(n: Negotiation, *, by: Party, terms: Terms, at: datetime) -> Negotiation:
    """New terms from either side: the provider's counter-offer (REQUESTED → OFFERED) or the
    consumer's counter-request (OFFERED → REQUESTED). The loop may go round any number of times.
    """
    action = Action.OFFER if by is Party.PROVIDER else Action.REQUEST
    step = _take(n, action, by, at)
    new_offer = Offer(round=n.current_offer.round + 1, by=by, terms=terms, at=at)
    return dataclasses.replace(_moved(n, step.target, at), offers=(*n.offers, new_offer))


def accept(n: Negotiation, *, by: Party, at: datetime) -> Negotiation:
    """The consumer accepts the provider's current offer (OFFERED → ACCEPTED)."""
    step = _take(n, Action.ACCEPT, by, at)
    return _moved(n, step.target, at)


def approve(n: Negotiation, *, by: Party, approver: str, at: datetime) -> Negotiation:
    """A person on the provider's side approves the current round, so the provider may agree.

    The approval belongs to the round: new terms from either side need a new approval. It does
    not move the state nor the deadline (it is the provider's own internal step).
    """
    _require_open(n, Action.APPROVE, at)
    if by is not Party.PROVIDER:
        raise Forbidden("only the provider may approve", code=TradingProblem.WRONG_PARTY)
    if not n.requires_approval:
        raise InvalidState(ENTITY, n.state.value, "approve", "this negotiation needs no approval")
    if n.state not in APPROVABLE:
        raise InvalidState(
            ENTITY, n.state.value, "approve", "approval comes before the provider agrees"
        )
    if not approver.strip():
        raise Unprocessable("an approval names its approver", field="approver")
    return dataclasses.replace(n, approval=Approval(n.current_offer.round, approver, at))


def agree(n: Negotiation, *, by: Party, agreement_id: UUID, at: datetime) -> Negotiation:
    """The provider agrees to the current terms (REQUESTED | ACCEPTED → AGREED)."""
    step = _take(n, Action.AGREE, by, at)
    if n.approval_pending:
        raise InvalidState(
            ENTITY,
            n.state.value,
            "agree",
            f"round {n.current_offer.round} awaits the provider's approval",
        )
    return dataclasses.replace(_moved(n, step.target, at), agreement_id=agreement_id)


def verify(n: Negotiation, *, by: Party, at: datetime) -> Negotiation:
    """The consumer verifies the agreement (AGREED → VERIFIED)."""
    step = _take(n, Action.VERIFY, by, at)
    return _moved(n, step.target, at)


def finalize(n: Negotiation, *, by: Party, at: datetime) -> Negotiation:
    """The provider finalizes (VERIFIED → FINALIZED): the agreement takes effect."""
    step = _take(n, Action.FINALIZE, by, at)
    return dataclasses.replace(n, state=step.target, updated_at=at)


def terminate(n: Negotiation, *, by: Party, reason: str, at: datetime) -> Negotiation:
    """Either side ends a non-final negotiation, saying why."""
    _require_open(n, Action.TERMINATE, at)
    return dataclasses.replace(
        n,
        state=S.TERMINATED,
        updated_at=at,
        termination=Termination(reason=reason, at=at, by=by),
    )


def is_due_to_expire(n: Negotiation, now: datetime) -> bool:
    return not n.state.is_final and now >= n.expires_at


def expire(n: Negotiation, *, now: datetime) -> Negotiation:
    """The venue ends a negotiation whose deadline passed, recording whom it waited for."""
    if n.state.is_final:
        raise InvalidState(ENTITY, n.state.value, "expire", "negotiation is already over")
    if now < n.expires_at:
        raise InvalidState(
            ENTITY,
            n.state.value,
            "expire",
            f"negotiation runs until {n.expires_at.isoformat()}",
        )
    party, moves = NEXT_MOVES[n.state]
    reason = (
        f"expired: the {party.value} did not {moves} in {n.state.value} "
        f"by {n.expires_at.isoformat()}"
    )
    if n.approval_pending and n.state in APPROVABLE:
        reason += f"; provider approval of round {n.current_offer.round} was still pending"
    return dataclasses.replace(
        n,
        state=S.TERMINATED,
        updated_at=now,
        termination=Termination(reason=reason, at=now, by=None),
    )
