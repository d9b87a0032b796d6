"""The lease state machine of ``domain/leasing.md`` (after Apache Fineract's loan states).

::

    draft ─submit→ risk_review ─approve→ approved ─sign→ signed ─bill_down_payment→
      awaiting_down_payment ─activate (delivery accepted, 起租; down payment settled)→ active
    risk_review ─reject→ rejected        draft | risk_review | approved ─withdraw→ withdrawn
    active ─pay_off | execute_buyout→ paid_off ─transfer_title→ title_transferred  (financing)
    active ─return_equipment→ returned ─close→ closed                (long_term, service)
    active ─terminate (accelerated)→ terminated ─repossess→ repossessed
                                                ─write_off→ written_off

Every transition is one fact (an event type). ``active`` additionally carries a delinquency
bucket (``servicing.delinquency_bucket``); it is a property of the receivables, not a state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from datapark_kit.errors import InvalidState


class LeaseMode(StrEnum):
    FINANCING = "financing"  # 融资租赁: ownership transfers at the end
    LONG_TERM = "long_term"  # long-term rental: equipment returned
    SERVICE = "service"  # 服务租赁: pay per use with a monthly minimum, returned


class LeaseState(StrEnum):
    DRAFT = "draft"
    RISK_REVIEW = "risk_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SIGNED = "signed"
    AWAITING_DOWN_PAYMENT = "awaiting_down_payment"
    ACTIVE = "active"
    PAID_OFF = "paid_off"
    TITLE_TRANSFERRED = "title_transferred"
    RETURNED = "returned"
    CLOSED = "closed"
    TERMINATED = "terminated"
    REPOSSESSED = "repossessed"
    WRITTEN_OFF = "written_off"


class LeaseAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SIGN = "sign"
    BILL_DOWN_PAYMENT = "bill_down_payment"
    ACTIVATE = "activate"
    PAY_OFF = "pay_off"
    EXECUTE_BUYOUT = "execute_buyout"
    TRANSFER_TITLE = "transfer_title"
    RETURN_EQUIPMENT = "return_equipment"
    CLOSE = "close"
    TERMINATE = "terminate"
    REPOSSESS = "repossess"
    WRITE_OFF = "write_off"


TERMINAL_STATES = frozenset(
    {
        LeaseState.REJECTED,
        LeaseState.WITHDRAWN,
        LeaseState.TITLE_TRANSFERRED,
        LeaseState.CLOSED,
        LeaseState.REPOSSESSED,
        LeaseState.WRITTEN_OFF,
    }
)

_S, _A = LeaseState, LeaseAction
_ALL_MODES = frozenset(LeaseMode)
_FINANCING = frozenset({LeaseMode.FINANCING})
_RETURNABLE = frozenset({LeaseMode.LONG_TERM, LeaseMode.SERVICE})


@dataclass(frozen=True)
class Transition:
    """Where an action leads, the fact it records and the modes it applies to."""

    target: LeaseState
    fact: str
    modes: frozenset[LeaseMode] = _ALL_MODES


TRANSITIONS: dict[tuple[LeaseState, LeaseAction], Transition] = {
    (_S.DRAFT, _A.SUBMIT): Transition(_S.RISK_REVIEW, "submitted"),
    (_S.RISK_REVIEW, _A.APPROVE): Transition(_S.APPROVED, "approved"),
    (_S.RISK_REVIEW, _A.REJECT): Transition(_S.REJECTED, "rejected"),
    (_S.DRAFT, _A.WITHDRAW): Transition(_S.WITHDRAWN, "withdrawn"),
    (_S.RISK_REVIEW, _A.WITHDRAW): Transition(_S.WITHDRAWN, "withdrawn"),
    (_S.APPROVED, _A.WITHDRAW): Transition(_S.WITHDRAWN, "withdrawn"),
    (_S.APPROVED, _A.SIGN): Transition(_S.SIGNED, "signed"),
    (_S.SIGNED, _A.BILL_DOWN_PAYMENT): Transition(_S.AWAITING_DOWN_PAYMENT, "down_payment_billed"),
    (_S.AWAITING_DOWN_PAYMENT, _A.ACTIVATE): Transition(_S.ACTIVE, "activated"),
    (_S.ACTIVE, _A.PAY_OFF): Transition(_S.PAID_OFF, "paid_off", _FINANCING),
    (_S.ACTIVE, _A.EXECUTE_BUYOUT): Transition(_S.PAID_OFF, "bought_out", _FINANCING),
    (_S.PAID_OFF, _A.TRANSFER_TITLE): Transition(
        _S.TITLE_TRANSFERRED, "title_transferred", _FINANCING
    ),
    (_S.ACTIVE, _A.RETURN_EQUIPMENT): Transition(_S.RETURNED, "returned", _RETURNABLE),
    (_S.RETURNED, _A.CLOSE): Transition(_S.CLOSED, "closed", _RETURNABLE),
    (_S.ACTIVE, _A.TERMINATE): Transition(_S.TERMINATED, "terminated"),
    (_S.TERMINATED, _A.REPOSSESS): Transition(_S.REPOSSESSED, "repossessed"),
    (_S.TERMINATED, _A.WRITE_OFF): Transition(_S.WRITTEN_OFF, "written_off"),
}


def transition(mode: LeaseMode, state: LeaseState, action: LeaseAction) -> Transition:
    """The transition ``action`` takes from ``state``, or :class:`InvalidState` (409)."""
    step = TRANSITIONS.get((state, action))
    if step is None:
        raise InvalidState("lease", state.value, action.value)
    if mode not in step.modes:
        raise InvalidState(
            "lease",
            state.value,
            action.value,
            f"a {mode.value} lease does not allow '{action.value}'",
        )
    return step


def require_activation_allowed(down_payment_outstanding: Decimal, delivery_accepted: bool) -> None:
    """Rent starts (起租) only on delivery acceptance with the down payment settled."""
    if down_payment_outstanding > 0:
        raise InvalidState(
            "lease",
            LeaseState.AWAITING_DOWN_PAYMENT.value,
            "activate",
            f"down payment outstanding: {down_payment_outstanding}",
        )
    if not delivery_accepted:
        raise InvalidState(
            "lease",
            LeaseState.AWAITING_DOWN_PAYMENT.value,
            "activate",
            "delivery has not been accepted",
        )


def require_settled(state: LeaseState, action: LeaseAction, outstanding: Decimal) -> None:
    """``pay_off`` and ``close`` need every receivable settled (a return may precede it)."""
    if outstanding > 0:
        raise InvalidState(
            "lease", state.value, action.value, f"receivables outstanding: {outstanding}"
        )


def allowed_actions(mode: LeaseMode, state: LeaseState) -> list[LeaseAction]:
    """Actions available from ``state`` for a lease of ``mode`` (for hypermedia and tests)."""
    return [a for (s, a), step in TRANSITIONS.items() if s is state and mode in step.modes]


def event_type(fact: str) -> str:
    """The CloudEvents type of a lease fact."""
    return f"datapark.rental.lease.{fact}.v1"
