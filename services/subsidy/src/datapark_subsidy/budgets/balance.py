"""A budget row as a two-phase ledger account (TigerBeetle style), with no I/O.

One row per (policy, company, period) holds ``cap``, ``reserved`` and ``committed`` with the
invariant ``0 <= reserved``, ``0 <= committed``, ``reserved + committed <= cap`` (the database
repeats it as a CHECK constraint). Approval *reserves* (granting only the remainder if the claim
would cross the cap), disbursement *posts* the reservation, rejection/expiry/cancellation
*voids* it, and a clawback *reverses* what was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import Conflict, Unprocessable
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.terms.assessment import ReasonCode

ZERO = Decimal("0.00")


class LedgerOp(StrEnum):
    """The kinds of ledger entry; each entry carries a unique idempotency key."""

    RESERVE = "reserve"
    POST = "post"
    VOID = "void"
    REVERSE = "reverse"


class GrantOutcome(StrEnum):
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a claim receives once the budget has had its say."""

    outcome: GrantOutcome
    amount: Decimal
    reason: ReasonCode | None
    step: str
    """The explanation line that says how the cap shaped the grant."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One budget row: the cap and what is reserved and committed against it."""

    cap: Decimal
    reserved: Decimal = ZERO
    committed: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.reserved < 0 or self.committed < 0 or self.reserved + self.committed > self.cap:
            raise Conflict(
                f"budget invariant broken: reserved {self.reserved} + committed "
                f"{self.committed} must stay within cap {self.cap}",
                code=SubsidyProblem.BUDGET_INVARIANT,
            )

    @property
    def remaining(self) -> Decimal:
        return self.cap - self.reserved - self.committed

    def grant(self, requested: Decimal) -> Grant:
        """How much of ``requested`` this budget can still grant: all, the remainder, or none."""
        _positive(requested)
        if self.remaining <= 0:
            return Grant(
                GrantOutcome.REJECTED,
                ZERO,
                ReasonCode.CAP_EXHAUSTED,
                f"cap {self.cap} already used in full "
                f"(reserved {self.reserved}, committed {self.committed}): nothing granted",
            )
        if requested <= self.remaining:
            return Grant(
                GrantOutcome.APPROVED,
                requested,
                None,
                f"within the cap: {requested} of remaining {self.remaining} "
                f"(cap {self.cap}) granted in full",
            )
        return Grant(
            GrantOutcome.PARTIALLY_APPROVED,
            self.remaining,
            None,
            f"would cross the cap: {requested} requested, only {self.remaining} of "
            f"cap {self.cap} remains; the remainder is granted (partially approved)",
        )

    def reserve(self, amount: Decimal) -> Budget:
        """Hold ``amount``; refuses to cross the cap (call :meth:`grant` first)."""
        _positive(amount)
        if amount > self.remaining:
            raise Conflict(
                f"reserving {amount} would cross the cap: {self.remaining} remains",
                code=SubsidyProblem.BUDGET_EXCEEDED,
            )
        return replace(self, reserved=self.reserved + amount)

    def post(self, amount: Decimal) -> Budget:
        """Turn a reservation into a commitment (disbursement)."""
        _positive(amount)
        if amount > self.reserved:
            raise Conflict(
                f"posting {amount} but only {self.reserved} is reserved",
                code=SubsidyProblem.BUDGET_NOT_RESERVED,
            )
        return replace(self, reserved=self.reserved - amount, committed=self.committed + amount)

    def void(self, amount: Decimal) -> Budget:
        """Release a reservation (rejection, cancellation, expiry)."""
        _positive(amount)
        if amount > self.reserved:
            raise Conflict(
                f"voiding {amount} but only {self.reserved} is reserved",
                code=SubsidyProblem.BUDGET_NOT_RESERVED,
            )
        return replace(self, reserved=self.reserved - amount)

    def reverse(self, amount: Decimal) -> Budget:
        """Give back a committed amount (clawback): the company no longer holds it."""
        _positive(amount)
        if amount > self.committed:
            raise Conflict(
                f"reversing {amount} but only {self.committed} is committed",
                code=SubsidyProblem.BUDGET_NOT_COMMITTED,
            )
        return replace(self, committed=self.committed - amount)

    def apply(self, op: LedgerOp, amount: Decimal) -> Budget:
        return {
            LedgerOp.RESERVE: self.reserve,
            LedgerOp.POST: self.post,
            LedgerOp.VOID: self.void,
            LedgerOp.REVERSE: self.reverse,
        }[op](amount)


def _positive(amount: Decimal) -> None:
    if amount <= 0 or amount != to_fen(amount):
        raise Unprocessable(
            f"a ledger amount must be a positive sum in fen, got {amount}", field="amount"
        )
