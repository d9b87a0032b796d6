"""Agreements and their usage policy: immutable, amended by a linked new agreement, terminated
with a reason; the policy's checks and what a listing change does to a running agreement."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_trading.terms import agreement as ag
from datapark_trading.terms.agreement import Agreement, AgreementStatus, Origin
from datapark_trading.terms.money import Money
from datapark_trading.terms.parties import Party
from datapark_trading.terms.policy import DelistingClause, ListingEffect, ListingState
from datapark_trading.terms.pricing import Subscription

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
L = ListingState


def test_an_agreement_runs_for_the_policy_duration(agreement: Agreement) -> None:
    assert agreement.starts_at == T0
    assert agreement.ends_at == T0 + timedelta(days=365)
    assert agreement.status_at(T0) is AgreementStatus.ACTIVE
    assert agreement.status_at(agreement.ends_at - timedelta(seconds=1)) is AgreementStatus.ACTIVE
    assert agreement.status_at(agreement.ends_at) is AgreementStatus.EXPIRED


def test_an_agreement_is_immutable(agreement: Agreement) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        agreement.ends_at = T0  # type: ignore[misc]


def test_a_future_start_is_pending(make_terms) -> None:
    later = T0 + timedelta(days=10)
    a = ag.conclude(
        agreement_id=uuid4(),
        listing_id=uuid4(),
        provider_id=uuid4(),
        consumer_id=uuid4(),
        terms=make_terms(),
        origin=Origin.NEGOTIATION,
        origin_id=uuid4(),
        at=T0,
        starts_at=later,
    )
    assert a.status_at(T0) is AgreementStatus.PENDING
    assert a.ends_at == later + timedelta(days=365)


def test_conclusion_rules(make_terms) -> None:
    same = uuid4()
    with pytest.raises(Unprocessable):
        ag.conclude(
            agreement_id=uuid4(),
            listing_id=uuid4(),
            provider_id=same,
            consumer_id=same,
            terms=make_terms(),
            origin=Origin.ORDER,
            origin_id=uuid4(),
            at=T0,
        )
    with pytest.raises(Unprocessable):
        ag.conclude(
            agreement_id=uuid4(),
            listing_id=uuid4(),
            provider_id=uuid4(),
            consumer_id=uuid4(),
            terms=make_terms(),
            origin=Origin.ORDER,
            origin_id=uuid4(),
            at=T0,
            starts_at=T0 - timedelta(days=1),
        )
    too_long = Subscription(Money(Decimal("10.00")), period_months=1, periods=13)
    with pytest.raises(Unprocessable) as sub:
        ag.conclude(
            agreement_id=uuid4(),
            listing_id=uuid4(),
            provider_id=uuid4(),
            consumer_id=uuid4(),
            terms=make_terms(pricing=too_long),
            origin=Origin.ORDER,
            origin_id=uuid4(),
            at=T0,
        )
    assert "subscription" in sub.value.detail


@pytest.mark.parametrize("by", [Party.CONSUMER, Party.PROVIDER, None])
def test_either_side_or_the_venue_terminates_with_a_reason(
    agreement: Agreement, by: Party | None
) -> None:
    at = T0 + timedelta(days=3)
    ended = ag.terminate(agreement, by=by, reason="data quality below the agreed level", at=at)
    assert ended.status_at(at) is AgreementStatus.TERMINATED
    assert ended.termination is not None
    assert ended.termination.by is by
    assert ended.terms == agreement.terms
    assert agreement.termination is None  # the original value is untouched
    with pytest.raises(InvalidState) as again:
        ag.terminate(ended, by=by, reason="again", at=at)
    assert again.value.extra["state"] == "terminated"
    assert "data quality" in again.value.detail
    with pytest.raises(Unprocessable):
        ag.terminate(agreement, by=by, reason="", at=at)


def test_an_expired_agreement_cannot_be_terminated_or_amended(agreement: Agreement, make_terms):
    late = agreement.ends_at
    with pytest.raises(InvalidState) as refused:
        ag.terminate(agreement, by=Party.CONSUMER, reason="late", at=late)
    assert refused.value.extra == {"state": "expired", "action": "terminate"}
    with pytest.raises(InvalidState):
        ag.amend(agreement, new_id=uuid4(), terms=make_terms(), origin_id=uuid4(), at=late)


def test_an_amendment_is_a_new_agreement_linked_to_the_old(agreement: Agreement, make_terms):
    at = T0 + timedelta(days=30)
    new_terms = make_terms("1200.00", max_calls=10_000)
    old, new = ag.amend(agreement, new_id=uuid4(), terms=new_terms, origin_id=uuid4(), at=at)
    assert new.amends == agreement.id
    assert old.superseded_by == new.id
    assert old.terms == agreement.terms
    assert new.terms == new_terms
    assert (new.provider_id, new.consumer_id, new.listing_id) == (
        agreement.provider_id,
        agreement.consumer_id,
        agreement.listing_id,
    )
    assert new.starts_at == at
    assert old.status_at(at) is AgreementStatus.SUPERSEDED
    assert new.status_at(at) is AgreementStatus.ACTIVE
    with pytest.raises(InvalidState) as refused:
        old.require_running("request transfer", at)
    assert str(new.id) in refused.value.detail


def test_party_of(agreement: Agreement) -> None:
    assert agreement.party_of(agreement.provider_id) is Party.PROVIDER
    assert agreement.party_of(agreement.consumer_id) is Party.CONSUMER
    assert agreement.party_of(uuid4()) is None


# --- usage policy -------------------------------------------------------------------------


def test_policy_permits_only_its_uses_territory_and_no_onward_transfer(make_policy) -> None:
    policy = make_policy(territory=frozenset({"CN-BJ", "CN-TJ"}))
    policy.check_use(use="analytics", region="CN-BJ")
    policy.check_use(use="analytics", region="CN-BJ-HD")
    with pytest.raises(Forbidden) as use:
        policy.check_use(use="resale", region="CN-BJ")
    assert use.value.code == "use_not_permitted"
    with pytest.raises(Forbidden) as where:
        policy.check_use(use="analytics", region="CN-SH")
    assert where.value.code == "territory_not_permitted"
    with pytest.raises(Forbidden) as where_parent:
        policy.check_use(use="analytics", region="CN")
    assert where_parent.value.code == "territory_not_permitted"
    with pytest.raises(Forbidden) as onward:
        policy.check_use(use="analytics", region="CN-BJ", onward_transfer=True)
    assert onward.value.code == "onward_transfer_forbidden"
    make_policy(onward_transfer=True).check_use(use="analytics", region="CN", onward_transfer=True)


@pytest.mark.parametrize(
    "bad",
    [
        {"purpose": " "},
        {"permitted_uses": frozenset()},
        {"territory": frozenset()},
        {"duration": timedelta(0)},
        {"duration": timedelta(days=3661)},
        {"max_calls": 0},
        {"max_records": -5},
    ],
)
def test_policy_validation(make_policy, bad: dict[str, object]) -> None:
    with pytest.raises(Unprocessable):
        make_policy(**bad)


@pytest.mark.parametrize(
    ("clause", "was", "now", "effect"),
    [
        (DelistingClause.CONTINUE, L.LISTED, L.SUSPENDED, ListingEffect.NONE),
        (DelistingClause.CONTINUE, L.LISTED, L.DELISTED, ListingEffect.NONE),
        (DelistingClause.SUSPEND, L.LISTED, L.SUSPENDED, ListingEffect.SUSPEND_DELIVERY),
        (DelistingClause.SUSPEND, L.SUSPENDED, L.LISTED, ListingEffect.RESUME_DELIVERY),
        (DelistingClause.SUSPEND, L.SUSPENDED, L.DELISTED, ListingEffect.TERMINATE),
        (DelistingClause.SUSPEND, L.LISTED, L.LISTED, ListingEffect.NONE),
        (DelistingClause.TERMINATE, L.LISTED, L.SUSPENDED, ListingEffect.TERMINATE),
        (DelistingClause.TERMINATE, L.LISTED, L.DELISTED, ListingEffect.TERMINATE),
        (DelistingClause.TERMINATE, L.SUSPENDED, L.LISTED, ListingEffect.NONE),
    ],
)
def test_what_a_listing_change_does_to_a_running_agreement(
    make_policy,
    clause: DelistingClause,
    was: ListingState,
    now: ListingState,
    effect: ListingEffect,
) -> None:
    assert make_policy(on_delisting=clause).effect_of(now, was=was) is effect
