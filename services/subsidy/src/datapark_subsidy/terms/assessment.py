"""The facts the subsidy rules read and the results they return, with their explanations.

Money is rounded half-up to the fen (``datapark_contracts.money.to_fen``) at every rule step;
an :class:`Explanation` carries the steps, the dated parameter values they read and the
policy files' version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from datapark_subsidy.terms.parameters import Reading
from datapark_subsidy.terms.policies import PolicyCode


class ReasonCode(StrEnum):
    """Why a claim is not granted (machine-readable; also the reviewer's rejection codes)."""

    REGION_NOT_COVERED = "region_not_covered"
    LEASE_MODE_NOT_COVERED = "lease_mode_not_covered"
    EQUIPMENT_NOT_COVERED = "equipment_not_covered"
    POLICY_NOT_IN_FORCE = "policy_not_in_force"
    NOTHING_FINANCED = "nothing_financed"
    NO_PAYMENTS_DUE = "no_payments_due"
    NOTHING_EARNED = "nothing_earned"
    ROUNDS_TO_ZERO = "rounds_to_zero"
    LEASE_ALREADY_SUBSIDISED = "lease_already_subsidised"
    CAP_EXHAUSTED = "cap_exhausted"
    NOT_DESIGNATED = "not_designated"
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    NOT_A_COMPANY = "not_a_company"
    OTHER = "other"


# --------------------------------------------------------------------------- facts


ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Receivable:
    """One contractual payment of a lease and whether (and when) it was paid.

    ``kind`` is rental's receivable kind (``installment``, ``balloon``, ``usage``) or
    ``rental`` for a closed short-term or container rental's price. ``amount`` is what the
    contract asks (principal and interest; never deposits, fees, penalties or a buyout price);
    ``interest`` and ``fees`` are its financing cost and ``opening_balance`` the financed
    balance before it (what rate support is measured against).
    """

    kind: str
    period: int
    due_on: date
    amount: Decimal
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    opening_balance: Decimal = ZERO
    paid_on: date | None = None


@dataclass(frozen=True, slots=True)
class LeaseFacts:
    """What the subsidy rules need to know of a lease, as learnt from rental's events."""

    lease_id: str
    participant_id: str
    mode: str
    """Rental's mode: ``financing_lease``, ``long_term``, ``service_lease``, ``short_term``, …"""
    equipment_category: str
    cost: Decimal
    down_payment: Decimal
    activated_on: date
    receivables: tuple[Receivable, ...] = ()
    ended_on: date | None = None
    """The day the lease ended, however it ended; nothing falling due after it earns."""
    end_reason: str | None = None
    """``terminated``, ``bought_out``, ``repossessed``, ``written_off``, ``returned``,
    ``closed``, ``paid_off`` or ``title_transferred`` (the first end rental reported)."""

    def earned(self) -> tuple[Receivable, ...]:
        """The receivables that count: paid, and falling due before the lease ended."""
        return tuple(
            sorted(
                (
                    r
                    for r in self.receivables
                    if r.paid_on is not None
                    and (self.ended_on is None or r.due_on <= self.ended_on)
                ),
                key=lambda r: (r.due_on, r.kind, r.period),
            )
        )

    def earned_on(self, year: int) -> date:
        """When a year's entitlement is earned: the year's end (it becomes reviewable on 1
        January) or the lease's end, whichever comes first."""
        year_end = date(year + 1, 1, 1)
        if self.ended_on is not None and self.ended_on < year_end:
            return max(self.ended_on, date(year, 1, 1))
        return year_end


@dataclass(frozen=True, slots=True)
class Designation:
    """A provincial designation of a data-industry cluster or data-element park (an
    operator-kept record); the Fujian cap belongs to it, whoever applies."""

    designation_id: str
    kind: str
    """``cluster`` or ``park``."""
    name: str
    region_code: str
    designated_on: date


@dataclass(frozen=True, slots=True)
class Lessee:
    participant_id: str
    region_code: str
    """Registered region: the 6-digit division code."""
    operating_region_code: str | None = None
    kind: str = "company"
    """``company`` or ``person``: the policies support enterprises (企业) only."""


# --------------------------------------------------------------------------- results


def cite(reading: Reading) -> str:
    """``name = value (in force from date)``: how a step names the parameter it used."""
    return (
        f"{reading.parameter} = {reading.render()} "
        f"(in force from {reading.effective_from.isoformat()})"
    )


@dataclass(frozen=True, slots=True)
class Explanation:
    """The computation of one figure, step by step, with the parameter values it read."""

    policy: PolicyCode
    policy_version: str
    steps: tuple[str, ...]
    readings: tuple[Reading, ...]

    def then(self, steps: Iterable[str], readings: Iterable[Reading] = ()) -> Explanation:
        """This explanation with more steps (and the readings they used) appended."""
        known = {(r.parameter, r.effective_from) for r in self.readings}
        extra = tuple(r for r in readings if (r.parameter, r.effective_from) not in known)
        return replace(self, steps=(*self.steps, *steps), readings=(*self.readings, *extra))

    def lines(self) -> tuple[str, ...]:
        numbered = tuple(f"{i}. {step}" for i, step in enumerate(self.steps, start=1))
        return (*numbered, f"policy files version {self.policy_version}")


@dataclass(frozen=True, slots=True)
class Entitlement:
    """An amount a company is entitled to under one policy for one budget period."""

    policy: PolicyCode
    participant_id: str
    lease_id: str | None
    period: str
    """Budget period: the calendar year (``"2025"``) or ``designation:<id>``."""
    earned_on: date
    amount: Decimal
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Ineligible:
    policy: PolicyCode
    reason: ReasonCode
    detail: str


@dataclass(frozen=True, slots=True)
class LeaseAssessment:
    """Every lease policy's verdict on one lease, after the stacking rule."""

    entitlements: tuple[Entitlement, ...] = ()
    ineligible: tuple[Ineligible, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        return sum((e.amount for e in self.entitlements), Decimal("0.00"))
