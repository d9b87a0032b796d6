"""Random walks through the negotiation state machine: whatever either side tries, in any
order and at any time, the machine only ever takes the moves the protocol table allows,
final states absorb, rounds count up one by one, and a refused move changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import hypothesis.strategies as st
from hypothesis import event, given, settings

from datapark_kit.errors import Forbidden, InvalidState
from datapark_trading.negotiations import states as ns
from datapark_trading.negotiations.states import Action, NegotiationState
from datapark_trading.terms.agreement import Terms
from datapark_trading.terms.money import Money
from datapark_trading.terms.parties import Party
from datapark_trading.terms.policy import UsagePolicy
from datapark_trading.terms.pricing import FixedPrice

T0 = datetime(2026, 3, 1, tzinfo=UTC)
S = NegotiationState
POLICY = UsagePolicy(
    purpose="analytics",
    permitted_uses=frozenset({"analytics"}),
    territory=frozenset({"CN"}),
    duration=timedelta(days=30),
)
ALLOWED = {
    (S.REQUESTED, Action.OFFER): S.OFFERED,
    (S.REQUESTED, Action.AGREE): S.AGREED,
    (S.OFFERED, Action.REQUEST): S.REQUESTED,
    (S.OFFERED, Action.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, Action.AGREE): S.AGREED,
    (S.AGREED, Action.VERIFY): S.VERIFIED,
    (S.VERIFIED, Action.FINALIZE): S.FINALIZED,
}


def terms(price: int) -> Terms:
    return Terms(FixedPrice(Money(Decimal(price))), POLICY)


# Protocol moves are drawn more often than termination, the right side more often than the
# wrong one, and a long silence (past the deadline) now and then, so that walks reach every
# state, including FINALIZED, as well as every refusal.
ACTIONS = [Action.ACCEPT, Action.AGREE, Action.VERIFY, Action.FINALIZE, Action.APPROVE] * 3 + [
    Action.OFFER,
    Action.REQUEST,
    Action.TERMINATE,
]
moves = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.sampled_from([True, True, True, True, False]),  # the side the move belongs to?
        st.sampled_from([0, 1, 5, 30, 60, 240, 0, 2, 10, 4 * 1440]),  # minutes since last move
        st.integers(min_value=1, max_value=999),
    ),
    max_size=30,
)


@settings(max_examples=400, deadline=None)
@given(
    opener=st.sampled_from(list(Party)),
    approval=st.booleans(),
    steps=moves,
)
def test_random_walks_respect_the_protocol(
    opener: Party, approval: bool, steps: list[tuple[Action, bool, int, int]]
) -> None:
    start = ns.request if opener is Party.CONSUMER else ns.offer
    n = start(
        negotiation_id=uuid4(),
        listing_id=uuid4(),
        provider_id=uuid4(),
        consumer_id=uuid4(),
        terms=terms(500),
        at=T0,
        response_window=timedelta(days=3),
        requires_approval=approval,
    )
    at = T0
    for action, right_side, minutes, price in steps:
        at += timedelta(minutes=minutes)
        owner = ns.STEPS[action].party if action in ns.STEPS else Party.PROVIDER
        if action in (Action.OFFER, Action.REQUEST, Action.TERMINATE):
            owner = n.awaiting or Party.CONSUMER
        party = owner if right_side else owner.other
        before = n
        try:
            if action in (Action.OFFER, Action.REQUEST):
                n = ns.counter(n, by=party, terms=terms(price), at=at)
                taken = Action.OFFER if party is Party.PROVIDER else Action.REQUEST
            elif action is Action.ACCEPT:
                n, taken = ns.accept(n, by=party, at=at), action
            elif action is Action.APPROVE:
                n, taken = ns.approve(n, by=party, approver="ops", at=at), action
            elif action is Action.AGREE:
                n, taken = ns.agree(n, by=party, agreement_id=uuid4(), at=at), action
            elif action is Action.VERIFY:
                n, taken = ns.verify(n, by=party, at=at), action
            elif action is Action.FINALIZE:
                n, taken = ns.finalize(n, by=party, at=at), action
            else:
                n, taken = ns.terminate(n, by=party, reason="walk", at=at), action
        except (InvalidState, Forbidden):
            assert n is before  # a refused move changes nothing
            if ns.is_due_to_expire(n, at):
                n = ns.expire(n, now=at)
                assert n.state is S.TERMINATED
                assert n.termination is not None
                assert n.termination.reason.startswith("expired:")
            continue
        # an accepted move: never from a final state, never after the deadline
        assert not before.state.is_final
        assert at < before.expires_at
        if taken is Action.TERMINATE:
            assert n.state is S.TERMINATED
        elif taken is Action.APPROVE:
            assert n.state is before.state
            assert n.approval is not None
            assert n.approval.round == n.current_offer.round
        else:
            assert ALLOWED[(before.state, taken)] is n.state
            expected_party = ns.STEPS[taken].party
            assert party is expected_party
        if taken is Action.AGREE and approval:
            assert before.approval is not None
            assert before.approval.round == before.current_offer.round
        assert [o.round for o in n.offers] == list(range(1, len(n.offers) + 1))
    event(f"ended in {n.state.value}")
