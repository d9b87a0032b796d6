"""The claim lifecycle of ``subsidies.md`` (after OpenG2P entitlements and FHIR claim outcomes).

``draft → submitted → under_review → approved | partially_approved | rejected (reason code)
→ funds_reserved → disbursed → reconciled``; side exits ``cancelled``, ``expired`` and
``reversed`` (clawback). Each transition may move money in the budget ledger; which one is
decided here, once, so the service and the simulation cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import InvalidState, Unprocessable
from datapark_subsidy.budgets.balance import Budget, GrantOutcome, LedgerOp
from datapark_subsidy.terms.assessment import ReasonCode


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    FUNDS_RESERVED = "funds_reserved"
    DISBURSED = "disbursed"
    RECONCILED = "reconciled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REVERSED = "reversed"


class ClaimAction(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    PARTIALLY_APPROVE = "partially_approve"
    REJECT = "reject"
    RESERVE_FUNDS = "reserve_funds"
    DISBURSE = "disburse"
    RECONCILE = "reconcile"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REVERSE = "reverse"


S, A = ClaimStatus, ClaimAction
_WITHDRAWABLE = {A.CANCEL: S.CANCELLED, A.EXPIRE: S.EXPIRED}
TRANSITIONS: dict[ClaimStatus, dict[ClaimAction, ClaimStatus]] = {
    S.DRAFT: {A.SUBMIT: S.SUBMITTED, A.CANCEL: S.CANCELLED},
    S.SUBMITTED: {A.START_REVIEW: S.UNDER_REVIEW, **_WITHDRAWABLE},
    S.UNDER_REVIEW: {
        A.APPROVE: S.APPROVED,
        A.PARTIALLY_APPROVE: S.PARTIALLY_APPROVED,
        A.REJECT: S.REJECTED,
        **_WITHDRAWABLE,
    },
    S.APPROVED: {A.RESERVE_FUNDS: S.FUNDS_RESERVED, **_WITHDRAWABLE},
    S.PARTIALLY_APPROVED: {A.RESERVE_FUNDS: S.FUNDS_RESERVED, **_WITHDRAWABLE},
    S.FUNDS_RESERVED: {A.DISBURSE: S.DISBURSED, **_WITHDRAWABLE},
    S.DISBURSED: {A.RECONCILE: S.RECONCILED, A.REVERSE: S.REVERSED},
    S.RECONCILED: {A.REVERSE: S.REVERSED},
    S.REJECTED: {},
    S.CANCELLED: {},
    S.EXPIRED: {},
    S.REVERSED: {},
}
TERMINAL = frozenset(s for s, moves in TRANSITIONS.items() if not moves)
GRANTED = frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.FUNDS_RESERVED, S.DISBURSED, S.RECONCILED})
"""States in which a claim has been granted and still holds (or has received) its amount."""

# Repeating an action whose effect already happened is a no-op, not an error ("approval twice:
# one effect"): these are the states in which each action counts as already applied.
_ALREADY_APPLIED: dict[ClaimAction, frozenset[ClaimStatus]] = {
    A.SUBMIT: frozenset({S.SUBMITTED}),
    A.START_REVIEW: frozenset({S.UNDER_REVIEW}),
    A.APPROVE: GRANTED,
    A.PARTIALLY_APPROVE: GRANTED,
    A.REJECT: frozenset({S.REJECTED}),
    A.RESERVE_FUNDS: frozenset({S.FUNDS_RESERVED, S.DISBURSED, S.RECONCILED}),
    A.DISBURSE: frozenset({S.DISBURSED, S.RECONCILED}),
    A.RECONCILE: frozenset({S.RECONCILED}),
    A.CANCEL: frozenset({S.CANCELLED}),
    A.EXPIRE: frozenset({S.EXPIRED}),
    A.REVERSE: frozenset({S.REVERSED}),
}


def next_status(status: ClaimStatus, action: ClaimAction) -> ClaimStatus:
    """The status after ``action``; :class:`InvalidState` (409) if the status forbids it."""
    try:
        return TRANSITIONS[status][action]
    except KeyError:
        raise InvalidState("claim", status.value, action.value) from None


def already_applied(status: ClaimStatus, action: ClaimAction) -> bool:
    """True if ``action`` has already had its effect on a claim now in ``status``."""
    return status in _ALREADY_APPLIED[action]


def ledger_effect(status: ClaimStatus, action: ClaimAction) -> LedgerOp | None:
    """The budget entry a transition makes, if any (money held only in ``funds_reserved``)."""
    if action is A.RESERVE_FUNDS:
        return LedgerOp.RESERVE
    if action is A.DISBURSE:
        return LedgerOp.POST
    if action is A.REVERSE:
        return LedgerOp.REVERSE
    if action in (A.CANCEL, A.EXPIRE) and status is S.FUNDS_RESERVED:
        return LedgerOp.VOID
    return None


class ReviewVerdict(StrEnum):
    APPROVE = "approve"
    PARTIALLY_APPROVE = "partially_approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """What the reviewer decided: approve, approve a lower amount, or reject with a reason."""

    verdict: ReviewVerdict
    amount: Decimal | None = None
    reason: ReasonCode | None = None


@dataclass(frozen=True, slots=True)
class ReviewResult:
    status: ClaimStatus
    """``approved``, ``partially_approved`` or ``rejected``: the review's outcome."""
    granted: Decimal
    reason: ReasonCode | None
    budget: Budget
    """The budget after the reservation (unchanged if nothing is granted)."""
    steps: tuple[str, ...]


def review(claimed: Decimal, decision: ReviewDecision, budget: Budget) -> ReviewResult:
    """Apply a reviewer's decision to a claim of ``claimed`` against ``budget``.

    An approval asks for the whole claim, a partial approval for the reviewer's lower amount;
    the budget then grants it, or only its remainder (partially approved), or nothing
    (rejected: ``cap_exhausted``). What is granted is reserved in the returned budget.
    """
    if decision.verdict is ReviewVerdict.REJECT:
        if decision.reason is None:
            raise Unprocessable("a rejection needs a reason code", field="reason")
        return ReviewResult(
            S.REJECTED,
            Decimal("0.00"),
            decision.reason,
            budget,
            (f"rejected by the reviewer: {decision.reason.value}",),
        )
    if decision.reason is not None and decision.verdict is ReviewVerdict.APPROVE:
        raise Unprocessable("an approval takes no reason code", field="reason")
    requested = claimed
    steps: list[str] = []
    if decision.verdict is ReviewVerdict.PARTIALLY_APPROVE:
        if decision.amount is None or decision.amount != to_fen(decision.amount):
            raise Unprocessable("a partial approval needs an amount in fen", field="amount")
        if not Decimal(0) < decision.amount < claimed:
            raise Unprocessable(
                f"a partial approval lies between 0 and the claimed {claimed}", field="amount"
            )
        requested = decision.amount
        steps.append(f"the reviewer approved {requested} of the {claimed} claimed")
    elif decision.amount is not None and decision.amount != claimed:
        raise Unprocessable(
            "an approval grants the amount claimed; use partially_approve", field="amount"
        )
    grant = budget.grant(requested)
    steps.append(grant.step)
    if grant.outcome is GrantOutcome.REJECTED:
        return ReviewResult(S.REJECTED, grant.amount, grant.reason, budget, tuple(steps))
    partial = (
        grant.outcome is GrantOutcome.PARTIALLY_APPROVED
        or decision.verdict is ReviewVerdict.PARTIALLY_APPROVE
    )
    return ReviewResult(
        S.PARTIALLY_APPROVED if partial else S.APPROVED,
        grant.amount,
        None,
        budget.reserve(grant.amount),
        tuple(steps),
    )
