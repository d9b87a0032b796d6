"""The budget row as a two-phase ledger account, and the claim lifecycle that drives it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datapark_kit.errors import Conflict, InvalidState, Unprocessable
from datapark_subsidy.budgets.balance import Budget, GrantOutcome, LedgerOp
from datapark_subsidy.claims.states import (
    TERMINAL,
    TRANSITIONS,
    ClaimAction,
    ClaimStatus,
    ReviewDecision,
    ReviewVerdict,
    already_applied,
    ledger_effect,
    next_status,
    review,
)
from datapark_subsidy.terms.assessment import ReasonCode

CAP = Decimal("100.00")


def test_grant_is_all_the_remainder_or_nothing() -> None:
    budget = Budget(CAP, reserved=Decimal("30.00"), committed=Decimal("60.00"))
    assert budget.remaining == Decimal("10.00")
    assert budget.grant(Decimal("10.00")).outcome is GrantOutcome.APPROVED
    partial = budget.grant(Decimal("10.01"))
    assert (partial.outcome, partial.amount) == (GrantOutcome.PARTIALLY_APPROVED, Decimal("10.00"))
    assert "partially approved" in partial.step
    full = Budget(CAP, committed=CAP).grant(Decimal("0.01"))
    assert (full.outcome, full.amount, full.reason) == (
        GrantOutcome.REJECTED,
        Decimal("0.00"),
        ReasonCode.CAP_EXHAUSTED,
    )


def test_two_phase_moves() -> None:
    budget = Budget(CAP).reserve(Decimal("40.00"))
    assert (budget.reserved, budget.committed) == (Decimal("40.00"), Decimal(0))
    budget = budget.post(Decimal("30.00"))
    assert (budget.reserved, budget.committed) == (Decimal("10.00"), Decimal("30.00"))
    budget = budget.void(Decimal("10.00"))
    assert (budget.reserved, budget.committed, budget.remaining) == (
        Decimal(0),
        Decimal("30.00"),
        Decimal(70),
    )
    budget = budget.apply(LedgerOp.REVERSE, Decimal("30.00"))
    assert budget == Budget(CAP)


@pytest.mark.parametrize(
    ("budget", "op", "amount", "code"),
    [
        (Budget(CAP, committed=Decimal("99.99")), LedgerOp.RESERVE, "0.02", "budget_exceeded"),
        (Budget(CAP, reserved=Decimal("1.00")), LedgerOp.POST, "1.01", "budget_not_reserved"),
        (Budget(CAP, reserved=Decimal("1.00")), LedgerOp.VOID, "1.01", "budget_not_reserved"),
        (Budget(CAP, committed=Decimal("1.00")), LedgerOp.REVERSE, "1.01", "budget_not_committed"),
    ],
)
def test_moves_that_would_break_the_invariant_are_refused(
    budget: Budget, op: LedgerOp, amount: str, code: str
) -> None:
    with pytest.raises(Conflict) as caught:
        budget.apply(op, Decimal(amount))
    assert caught.value.code == code


def test_amounts_must_be_positive_fen_and_rows_valid() -> None:
    for amount in ("0", "-1.00", "0.001"):
        with pytest.raises(Unprocessable):
            Budget(CAP).reserve(Decimal(amount))
    with pytest.raises(Conflict, match="invariant"):
        Budget(CAP, reserved=Decimal("50.00"), committed=Decimal("50.01"))


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=60))
def test_reserving_in_any_order_never_grants_more_than_min_cap_demand(fen: list[int]) -> None:
    budget = Budget(Decimal("1000.00"))
    granted = Decimal(0)
    for amount in (Decimal(f) / 100 for f in fen):
        grant = budget.grant(amount)
        if grant.amount > 0:
            budget = budget.reserve(grant.amount)
            granted += grant.amount
    demand = sum((Decimal(f) / 100 for f in fen), Decimal(0))
    assert granted == min(Decimal("1000.00"), demand) == budget.reserved


# --------------------------------------------------------------------------- lifecycle

HAPPY_PATH = [
    (ClaimAction.SUBMIT, ClaimStatus.SUBMITTED),
    (ClaimAction.START_REVIEW, ClaimStatus.UNDER_REVIEW),
    (ClaimAction.APPROVE, ClaimStatus.APPROVED),
    (ClaimAction.RESERVE_FUNDS, ClaimStatus.FUNDS_RESERVED),
    (ClaimAction.DISBURSE, ClaimStatus.DISBURSED),
    (ClaimAction.RECONCILE, ClaimStatus.RECONCILED),
    (ClaimAction.REVERSE, ClaimStatus.REVERSED),
]


def test_the_happy_path_and_its_ledger_entries() -> None:
    status = ClaimStatus.DRAFT
    effects = []
    for action, expected in HAPPY_PATH:
        effects.append(ledger_effect(status, action))
        status = next_status(status, action)
        assert status is expected
    assert [e for e in effects if e] == [LedgerOp.RESERVE, LedgerOp.POST, LedgerOp.REVERSE]


def test_forbidden_moves_are_invalid_state() -> None:
    with pytest.raises(InvalidState) as caught:
        next_status(ClaimStatus.REJECTED, ClaimAction.APPROVE)
    assert caught.value.status == 409
    assert "rejected" in caught.value.detail
    with pytest.raises(InvalidState):
        next_status(ClaimStatus.DISBURSED, ClaimAction.CANCEL)
    assert {
        ClaimStatus.REJECTED,
        ClaimStatus.CANCELLED,
        ClaimStatus.EXPIRED,
        ClaimStatus.REVERSED,
    } == TERMINAL
    assert set(TRANSITIONS) == set(ClaimStatus)


def test_withdrawing_a_reserved_claim_voids_its_reservation() -> None:
    assert ledger_effect(ClaimStatus.FUNDS_RESERVED, ClaimAction.EXPIRE) is LedgerOp.VOID
    assert ledger_effect(ClaimStatus.FUNDS_RESERVED, ClaimAction.CANCEL) is LedgerOp.VOID
    assert ledger_effect(ClaimStatus.APPROVED, ClaimAction.CANCEL) is None


def test_repeating_an_action_that_already_happened_is_recognised() -> None:
    for status in (
        ClaimStatus.APPROVED,
        ClaimStatus.PARTIALLY_APPROVED,
        ClaimStatus.FUNDS_RESERVED,
        ClaimStatus.DISBURSED,
    ):
        assert already_applied(status, ClaimAction.APPROVE)
    assert not already_applied(ClaimStatus.UNDER_REVIEW, ClaimAction.APPROVE)
    assert not already_applied(ClaimStatus.REJECTED, ClaimAction.APPROVE)
    assert already_applied(ClaimStatus.RECONCILED, ClaimAction.DISBURSE)


def test_review_outcomes() -> None:
    budget = Budget(CAP, committed=Decimal("90.00"))
    approve = ReviewDecision(ReviewVerdict.APPROVE)
    full = review(Decimal("10.00"), approve, budget)
    assert (full.status, full.granted, full.budget.reserved) == (
        ClaimStatus.APPROVED,
        Decimal("10.00"),
        Decimal("10.00"),
    )
    over = review(Decimal("10.01"), approve, budget)
    assert (over.status, over.granted) == (ClaimStatus.PARTIALLY_APPROVED, Decimal("10.00"))
    lower = review(
        Decimal("10.00"),
        ReviewDecision(ReviewVerdict.PARTIALLY_APPROVE, amount=Decimal("4.00")),
        budget,
    )
    assert (lower.status, lower.granted) == (ClaimStatus.PARTIALLY_APPROVED, Decimal("4.00"))
    rejected = review(
        Decimal("10.00"),
        ReviewDecision(ReviewVerdict.REJECT, reason=ReasonCode.DOCUMENTS_INCOMPLETE),
        budget,
    )
    assert (rejected.status, rejected.reason, rejected.budget) == (
        ClaimStatus.REJECTED,
        ReasonCode.DOCUMENTS_INCOMPLETE,
        budget,
    )
    exhausted = review(Decimal("1.00"), approve, Budget(CAP, committed=CAP))
    assert (exhausted.status, exhausted.reason) == (ClaimStatus.REJECTED, ReasonCode.CAP_EXHAUSTED)


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        (ReviewDecision(ReviewVerdict.REJECT), "reason"),
        (ReviewDecision(ReviewVerdict.APPROVE, reason=ReasonCode.OTHER), "reason"),
        (ReviewDecision(ReviewVerdict.APPROVE, amount=Decimal("3.00")), "amount"),
        (ReviewDecision(ReviewVerdict.PARTIALLY_APPROVE), "amount"),
        (ReviewDecision(ReviewVerdict.PARTIALLY_APPROVE, amount=Decimal("10.00")), "amount"),
        (ReviewDecision(ReviewVerdict.PARTIALLY_APPROVE, amount=Decimal("0.001")), "amount"),
    ],
)
def test_malformed_reviews_are_422(decision: ReviewDecision, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        review(Decimal("10.00"), decision, Budget(CAP))
    assert caught.value.extra["errors"][0]["field"] == field
