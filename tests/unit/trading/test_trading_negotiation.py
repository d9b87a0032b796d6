"""The negotiation state machine: every move, who may make it, counter-offer loops, approval,
expiry with a recorded reason, termination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_trading.negotiations import states as ns
from datapark_trading.negotiations.states import Action, Negotiation, NegotiationState
from datapark_trading.terms.agreement import Terms
from datapark_trading.terms.parties import Party

S = NegotiationState
C, P = Party.CONSUMER, Party.PROVIDER
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=3)
PROVIDER_ID, CONSUMER_ID = uuid4(), uuid4()


def opened(terms: Terms, *, by: Party = C, requires_approval: bool = False) -> Negotiation:
    opener = ns.request if by is C else ns.offer
    return opener(
        negotiation_id=uuid4(),
        listing_id=uuid4(),
        provider_id=PROVIDER_ID,
        consumer_id=CONSUMER_ID,
        terms=terms,
        at=T0,
        response_window=WINDOW,
        requires_approval=requires_approval,
    )


def in_state(state: NegotiationState, terms: Terms) -> Negotiation:
    """A negotiation brought to ``state`` by legal moves, one hour apart."""
    at = T0 + timedelta(hours=1)
    if state is S.REQUESTED:
        return opened(terms)
    n = opened(terms, by=P)
    if state is S.OFFERED:
        return n
    if state is S.TERMINATED:
        return ns.terminate(n, by=C, reason="not interested", at=at)
    n = ns.accept(n, by=C, at=at)
    if state is S.ACCEPTED:
        return n
    n = ns.agree(n, by=P, agreement_id=uuid4(), at=at + timedelta(hours=1))
    if state is S.AGREED:
        return n
    n = ns.verify(n, by=C, at=at + timedelta(hours=2))
    if state is S.VERIFIED:
        return n
    return ns.finalize(n, by=P, at=at + timedelta(hours=3))


def move(n: Negotiation, action: Action, by: Party, at: datetime, terms: Terms) -> Negotiation:
    if action in (Action.OFFER, Action.REQUEST):
        return ns.counter(n, by=by, terms=terms, at=at)
    if action is Action.ACCEPT:
        return ns.accept(n, by=by, at=at)
    if action is Action.AGREE:
        return ns.agree(n, by=by, agreement_id=uuid4(), at=at)
    if action is Action.VERIFY:
        return ns.verify(n, by=by, at=at)
    if action is Action.FINALIZE:
        return ns.finalize(n, by=by, at=at)
    if action is Action.APPROVE:
        return ns.approve(n, by=by, approver="li.wei", at=at)
    return ns.terminate(n, by=by, reason="changed our mind", at=at)


def test_consumer_request_runs_to_finalized(terms: Terms) -> None:
    n = opened(terms)
    assert n.state is S.REQUESTED
    assert n.awaiting is P
    agreement_id = uuid4()
    n = ns.agree(n, by=P, agreement_id=agreement_id, at=T0 + timedelta(hours=1))
    assert (n.state, n.awaiting, n.agreement_id) == (S.AGREED, C, agreement_id)
    n = ns.verify(n, by=C, at=T0 + timedelta(hours=2))
    assert n.state is S.VERIFIED
    assert n.awaiting is P
    n = ns.finalize(n, by=P, at=T0 + timedelta(hours=3))
    assert n.state is S.FINALIZED
    assert n.awaiting is None
    assert n.waiting_for() == "nothing: finalized"


def test_provider_offer_accepted_runs_to_finalized(terms: Terms) -> None:
    n = opened(terms, by=P)
    assert n.state is S.OFFERED
    assert n.awaiting is C
    n = ns.accept(n, by=C, at=T0 + timedelta(hours=1))
    assert n.state is S.ACCEPTED
    assert n.awaiting is P
    n = ns.agree(n, by=P, agreement_id=uuid4(), at=T0 + timedelta(hours=2))
    n = ns.verify(n, by=C, at=T0 + timedelta(hours=3))
    n = ns.finalize(n, by=P, at=T0 + timedelta(hours=4))
    assert n.state is S.FINALIZED
    assert [o.round for o in n.offers] == [1]


def test_counter_offers_loop_both_ways_and_the_last_terms_are_agreed(make_terms) -> None:
    n = opened(make_terms("1000.00"))
    prices = ["900.00", "980.00", "940.00", "960.00", "950.00"]
    at = T0
    for i, price in enumerate(prices):
        at += timedelta(hours=1)
        by = P if i % 2 == 0 else C
        n = ns.counter(n, by=by, terms=make_terms(price), at=at)
        assert n.state is (S.OFFERED if by is P else S.REQUESTED)
        assert n.expires_at == at + WINDOW
    assert [o.round for o in n.offers] == [1, 2, 3, 4, 5, 6]
    assert [o.by for o in n.offers] == [C, P, C, P, C, P]
    n = ns.accept(n, by=C, at=at)
    n = ns.agree(n, by=P, agreement_id=uuid4(), at=at)
    assert str(n.current_offer.terms.pricing.lock_amount().amount) == "950.00"


# A counter from the consumer is a request and from the provider an offer (``counter`` derives
# the move from the side), so "consumer offers" and "provider requests" cannot be expressed.
MOVES = [
    (action, by)
    for action in Action
    if action is not Action.APPROVE
    for by in (C, P)
    if (action, by) not in ((Action.OFFER, C), (Action.REQUEST, P))
]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize(("action", "by"), MOVES)
def test_every_state_allows_exactly_the_listed_moves(
    state: NegotiationState, action: Action, by: Party, terms: Terms
) -> None:
    n = in_state(state, terms)
    at = n.updated_at + timedelta(minutes=5)
    if action is Action.TERMINATE:
        allowed = not state.is_final
        right_party = True
    else:
        step = ns.STEPS[action]
        allowed = state in step.sources
        right_party = by is step.party
    if state.is_final:
        with pytest.raises(InvalidState) as final:
            move(n, action, by, at, terms)
        assert final.value.extra["state"] == state.value
    elif not right_party:
        with pytest.raises(Forbidden) as wrong:
            move(n, action, by, at, terms)
        assert wrong.value.code == "wrong_party"
    elif not allowed:
        with pytest.raises(InvalidState) as refused:
            move(n, action, by, at, terms)
        assert refused.value.extra == {"state": state.value, "action": action.value}
        assert state.value in refused.value.detail
    else:
        after = move(n, action, by, at, terms)
        expected = S.TERMINATED if action is Action.TERMINATE else ns.STEPS[action].target
        assert after.state is expected
        assert after.updated_at == at


@pytest.mark.parametrize("state", [s for s in S if not s.is_final])
@pytest.mark.parametrize("by", [C, P])
def test_either_side_terminates_any_open_negotiation_with_a_reason(
    state: NegotiationState, by: Party, terms: Terms
) -> None:
    n = in_state(state, terms)
    at = n.updated_at + timedelta(minutes=1)
    ended = ns.terminate(n, by=by, reason="budget withdrawn", at=at)
    assert ended.state is S.TERMINATED
    assert ended.termination is not None
    assert (ended.termination.by, ended.termination.reason, ended.termination.at) == (
        by,
        "budget withdrawn",
        at,
    )
    with pytest.raises(InvalidState) as again:
        ns.accept(ended, by=C, at=at)
    assert "budget withdrawn" in again.value.detail


def test_termination_needs_a_reason(terms: Terms) -> None:
    with pytest.raises(Unprocessable):
        ns.terminate(opened(terms), by=C, reason="  ", at=T0)


def test_a_move_after_the_deadline_is_refused_with_state_and_reason(terms: Terms) -> None:
    n = opened(terms)
    late = n.expires_at
    with pytest.raises(InvalidState) as refused:
        ns.agree(n, by=P, agreement_id=uuid4(), at=late)
    assert refused.value.extra["state"] == "REQUESTED"
    assert "expired" in refused.value.detail
    assert "provider to counter-offer or agree" in refused.value.detail
    # one instant earlier the same move is fine
    assert ns.agree(n, by=P, agreement_id=uuid4(), at=late - timedelta(seconds=1)).state is S.AGREED


def test_every_move_gives_the_other_side_a_fresh_deadline(terms: Terms) -> None:
    n = opened(terms)
    assert n.expires_at == T0 + WINDOW
    later = T0 + timedelta(days=2)
    n = ns.counter(n, by=P, terms=terms, at=later)
    assert n.expires_at == later + WINDOW


@pytest.mark.parametrize(
    ("state", "who", "moves"),
    [
        (S.REQUESTED, "provider", "counter-offer or agree"),
        (S.OFFERED, "consumer", "accept or counter-request"),
        (S.ACCEPTED, "provider", "agree"),
        (S.AGREED, "consumer", "verify"),
        (S.VERIFIED, "provider", "finalize"),
    ],
)
def test_expiry_terminates_and_records_who_did_not_answer(
    state: NegotiationState, who: str, moves: str, terms: Terms
) -> None:
    n = in_state(state, terms)
    assert n.waiting_for().startswith(f"{who} to {moves}")
    assert not ns.is_due_to_expire(n, n.expires_at - timedelta(seconds=1))
    with pytest.raises(InvalidState):
        ns.expire(n, now=n.expires_at - timedelta(seconds=1))
    assert ns.is_due_to_expire(n, n.expires_at)
    expired = ns.expire(n, now=n.expires_at)
    assert expired.state is S.TERMINATED
    assert expired.termination is not None
    assert expired.termination.by is None
    assert expired.termination.reason.startswith(f"expired: the {who} did not {moves} in {state}")
    with pytest.raises(InvalidState) as over:
        ns.expire(expired, now=n.expires_at)
    assert over.value.extra["state"] == "TERMINATED"


def test_final_negotiation_never_expires(terms: Terms) -> None:
    done = in_state(S.FINALIZED, terms)
    assert not ns.is_due_to_expire(done, done.expires_at + timedelta(days=400))


def test_approval_is_required_before_the_provider_agrees(terms: Terms, make_terms) -> None:
    n = opened(terms, requires_approval=True)
    assert "approval of round 1 pending" in n.waiting_for()
    with pytest.raises(InvalidState) as waiting:
        ns.agree(n, by=P, agreement_id=uuid4(), at=T0)
    assert "awaits the provider's approval" in waiting.value.detail
    approved = ns.approve(n, by=P, approver="zhang.min", at=T0 + timedelta(minutes=5))
    assert approved.approval is not None
    assert (approved.approval.round, approved.approval.approver) == (1, "zhang.min")
    assert approved.state is S.REQUESTED
    assert approved.expires_at == n.expires_at
    assert ns.agree(approved, by=P, agreement_id=uuid4(), at=T0).state is S.AGREED


def test_new_terms_need_a_new_approval(terms: Terms, make_terms) -> None:
    n = opened(terms, by=P, requires_approval=True)
    n = ns.approve(n, by=P, approver="zhang.min", at=T0)
    n = ns.counter(n, by=C, terms=make_terms("800.00"), at=T0 + timedelta(hours=1))
    assert n.approval_pending
    with pytest.raises(InvalidState):
        ns.agree(n, by=P, agreement_id=uuid4(), at=T0 + timedelta(hours=2))
    n = ns.approve(n, by=P, approver="zhang.min", at=T0 + timedelta(hours=2))
    assert ns.agree(n, by=P, agreement_id=uuid4(), at=T0 + timedelta(hours=2)).state is S.AGREED


def test_approval_after_acceptance_then_agree(terms: Terms) -> None:
    n = opened(terms, by=P, requires_approval=True)
    n = ns.accept(n, by=C, at=T0 + timedelta(hours=1))
    with pytest.raises(InvalidState):
        ns.agree(n, by=P, agreement_id=uuid4(), at=T0 + timedelta(hours=1))
    n = ns.approve(n, by=P, approver="ops", at=T0 + timedelta(hours=2))
    assert ns.agree(n, by=P, agreement_id=uuid4(), at=T0 + timedelta(hours=2)).state is S.AGREED


def test_approval_rules(terms: Terms) -> None:
    needs = opened(terms, requires_approval=True)
    with pytest.raises(Forbidden):
        ns.approve(needs, by=C, approver="me", at=T0)
    with pytest.raises(Unprocessable):
        ns.approve(needs, by=P, approver=" ", at=T0)
    with pytest.raises(InvalidState) as not_needed:
        ns.approve(opened(terms), by=P, approver="ops", at=T0)
    assert "needs no approval" in not_needed.value.detail
    agreed = ns.agree(
        ns.approve(needs, by=P, approver="ops", at=T0), by=P, agreement_id=uuid4(), at=T0
    )
    with pytest.raises(InvalidState):
        ns.approve(agreed, by=P, approver="ops", at=T0)


def test_expiry_while_approval_pending_says_so(terms: Terms) -> None:
    n = opened(terms, requires_approval=True)
    expired = ns.expire(n, now=n.expires_at + timedelta(hours=1))
    assert expired.termination is not None
    assert "approval of round 1 was still pending" in expired.termination.reason


def test_opening_is_validated(terms: Terms) -> None:
    same = UUID(int=7)
    with pytest.raises(Unprocessable):
        ns.request(
            negotiation_id=uuid4(),
            listing_id=uuid4(),
            provider_id=same,
            consumer_id=same,
            terms=terms,
            at=T0,
            response_window=WINDOW,
        )
    for window in (timedelta(seconds=30), timedelta(days=91)):
        with pytest.raises(Unprocessable):
            ns.offer(
                negotiation_id=uuid4(),
                listing_id=uuid4(),
                provider_id=uuid4(),
                consumer_id=uuid4(),
                terms=terms,
                at=T0,
                response_window=window,
            )


def test_party_of(terms: Terms) -> None:
    n = opened(terms)
    assert n.party_of(PROVIDER_ID) is P
    assert n.party_of(CONSUMER_ID) is C
    assert n.party_of(uuid4()) is None
