"""Replaying recorded rental events through the rules, for what-if questions and golden tests.

``replay`` plays lease activations, payments and ends in their recorded order through the
lease policies and the budget ledger with the accrual rules of real claims (earned, not
promised: a year's entitlement counts what fell due and was paid in it, and is settled when the
year or the lease ends), as if every earned entitlement were approved and paid out at once:
caps bind in the order claims are earned, a claim that would cross one gets the remainder, and
an early termination claws back. ``simulate`` does it twice, with the real and with changed
parameters, and reports per company what was (or would have been) granted and the budget
difference.
Nothing here touches real claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from datapark_kit.errors import Unprocessable
from datapark_subsidy.budgets.balance import Budget
from datapark_subsidy.claims.deadlines import clawback
from datapark_subsidy.claims.eligibility import assess_lease, period_cap
from datapark_subsidy.claims.states import ClaimStatus, ReviewDecision, ReviewVerdict, review
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.terms.assessment import (
    Entitlement,
    Explanation,
    Ineligible,
    LeaseAssessment,
    LeaseFacts,
    Lessee,
    ReasonCode,
)
from datapark_subsidy.terms.parameters import ParameterError, ParameterSet
from datapark_subsidy.terms.policies import POLICIES, PolicyCode

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class LeaseActivated:
    """A recorded ``lease activated`` event, reduced to the facts the rules read (its
    receivables as scheduled, none paid yet unless the record says so)."""

    lease: LeaseFacts

    @property
    def on(self) -> date:
        return self.lease.activated_on


@dataclass(frozen=True, slots=True)
class ReceivablePaid:
    """A recorded ``installment_paid``: one receivable of a lease was paid in full."""

    lease_id: str
    kind: str
    period: int
    paid_on: date

    @property
    def on(self) -> date:
        return self.paid_on


@dataclass(frozen=True, slots=True)
class LeaseEnded:
    """A lease ended (terminated, bought out, returned, ...): accrual stops at its date."""

    lease_id: str
    ended_on: date
    reason: str = "terminated"

    @property
    def on(self) -> date:
        return self.ended_on


LeaseTerminated = LeaseEnded
"""An early termination is one way a lease ends."""

RentalEvent = LeaseActivated | ReceivablePaid | LeaseEnded

BudgetKey = tuple[PolicyCode, str, str]
"""(policy, participant id, period)."""


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """One claim as the replay settled it."""

    policy: PolicyCode
    participant_id: str
    lease_id: str | None
    period: str
    earned_on: date
    entitled: Decimal
    granted: Decimal
    status: ClaimStatus
    reason: ReasonCode | None
    explanation: Explanation
    basis: str = "schedule"

    @property
    def net(self) -> Decimal:
        """What the company keeps: nothing once clawed back."""
        return ZERO if self.status is ClaimStatus.REVERSED else self.granted


@dataclass(frozen=True)
class Replay:
    claims: tuple[ClaimOutcome, ...]
    budgets: Mapping[BudgetKey, Budget]
    ineligible: tuple[tuple[str, Ineligible], ...]
    """(lease id, verdict) for every policy that refused a lease (as the lease stands at the
    end of the replay)."""


class _Replayer:
    """The state of one replay: leases as learnt so far, claims settled, budgets."""

    def __init__(self, lessees: Mapping[str, Lessee], params: ParameterSet) -> None:
        self.lessees = lessees
        self.params = params
        self.budgets: dict[BudgetKey, Budget] = {}
        self.claims: list[ClaimOutcome] = []
        self.leases: dict[str, LeaseFacts] = {}
        self.clawed: set[str] = set()
        self.unknown: list[tuple[str, Ineligible]] = []

    def activated(self, lease: LeaseFacts) -> bool:
        if lease.lease_id in self.leases:
            return False  # a replayed activation never makes a second claim
        self.leases[lease.lease_id] = lease
        if lease.participant_id not in self.lessees:
            self.unknown.append(
                (
                    lease.lease_id,
                    Ineligible(
                        PolicyCode.BEIJING_FINANCING_LEASE,
                        ReasonCode.UNKNOWN_PARTICIPANT,
                        f"participant {lease.participant_id} is unknown",
                    ),
                )
            )
        return True

    def paid(self, event: ReceivablePaid) -> bool:
        """Record a payment; True if it may make something earned already (a late payment)."""
        lease = self.leases.get(event.lease_id)
        if lease is None:
            return False
        changed = [
            replace(r, paid_on=r.paid_on or event.paid_on)
            if (r.kind, r.period) == (event.kind, event.period)
            else r
            for r in lease.receivables
        ]
        self.leases[event.lease_id] = replace(lease, receivables=tuple(changed))
        key = (event.kind, event.period)
        due = [r.due_on for r in lease.receivables if (r.kind, r.period) == key]
        return any(lease.earned_on(d.year) <= event.paid_on for d in due)

    def ended(self, event: LeaseEnded) -> None:
        lease = self.leases.get(event.lease_id)
        if lease is None or lease.ended_on is not None:
            return  # unknown, or already ended (a repossession after its termination)
        lease = replace(lease, ended_on=event.ended_on, end_reason=event.reason)
        self.leases[event.lease_id] = lease
        for index, claim in enumerate(self.claims):
            if claim.lease_id != lease.lease_id:
                continue
            decision = clawback(
                claim.policy,
                lease.lease_id,
                lease.activated_on,
                event.ended_on,
                self.params,
                event.reason,
            )
            if not decision.applies:
                continue
            self.clawed.add(lease.lease_id)
            if claim.status is not ClaimStatus.DISBURSED:
                continue
            key = (claim.policy, claim.participant_id, claim.period)
            self.budgets[key] = self.budgets[key].reverse(claim.granted)
            self.claims[index] = replace(
                claim,
                status=ClaimStatus.REVERSED,
                explanation=claim.explanation.then(decision.steps, decision.readings),
            )
        if not any(c.lease_id == lease.lease_id for c in self.claims):
            # nothing drawn yet: would a claim of this lease be clawed back on its end?
            for policy in {e.policy for e in self._assess(lease).entitlements}:
                if clawback(
                    policy,
                    lease.lease_id,
                    lease.activated_on,
                    event.ended_on,
                    self.params,
                    event.reason,
                ).applies:
                    self.clawed.add(lease.lease_id)

    def _assess(self, lease: LeaseFacts) -> LeaseAssessment:
        """Every lease policy's verdict on ``lease``; none for a lessee the directory does not
        know (a lease can arrive before its lessee, or the lessee be no company), which
        :meth:`activated` reported ineligible once."""
        lessee = self.lessees.get(lease.participant_id)
        if lessee is None:
            return LeaseAssessment()
        drawn = {c.policy for c in self.claims if c.lease_id == lease.lease_id}
        return assess_lease(lease, lessee, self.params, drawn)

    def settle(self, lease_ids: Iterable[str], until: date) -> None:
        """Review, as if approved and paid at once, what these leases have earned by
        ``until`` and not drawn yet: by earned date, then in the order leases arrived."""
        order = {lease_id: i for i, lease_id in enumerate(self.leases)}
        due: list[tuple[date, int, Entitlement]] = []
        for lease_id in lease_ids:
            lease = self.leases.get(lease_id)
            if lease is None or lease_id in self.clawed or lease.participant_id not in self.lessees:
                continue
            due.extend(
                (e.earned_on, order[lease_id], e)
                for e in self._assess(lease).entitlements
                if e.earned_on <= until
            )
        for _, _, entitlement in sorted(due, key=lambda item: item[:2]):
            self._settle_one(entitlement)

    def _settle_one(self, entitlement: Entitlement) -> None:
        earlier = [
            c
            for c in self.claims
            if (c.lease_id, c.policy, c.period)
            == (entitlement.lease_id, entitlement.policy, entitlement.period)
        ]
        drawn = sum((c.entitled for c in earlier), ZERO)
        amount = entitlement.amount - drawn
        if amount <= 0:
            return
        explanation = entitlement.explanation
        basis = "schedule"
        if earlier:
            basis = f"late:{len(earlier) + 1}"
            explanation = explanation.then(
                [f"already claimed for {entitlement.period}: {drawn}; this claim: {amount}"]
            )
        key = (entitlement.policy, entitlement.participant_id, entitlement.period)
        cap, cap_reading = period_cap(
            POLICIES[entitlement.policy], entitlement.period, entitlement.earned_on, self.params
        )
        self.budgets.setdefault(key, Budget(cap))
        result = review(amount, ReviewDecision(ReviewVerdict.APPROVE), self.budgets[key])
        status = result.status
        if result.granted > 0:
            self.budgets[key] = result.budget.post(result.granted)
            status = ClaimStatus.DISBURSED
        self.claims.append(
            ClaimOutcome(
                entitlement.policy,
                entitlement.participant_id,
                entitlement.lease_id,
                entitlement.period,
                entitlement.earned_on,
                amount,
                result.granted,
                status,
                result.reason,
                explanation.then(
                    [
                        f"cap for {entitlement.period}: {cap_reading.parameter} = "
                        f"{cap_reading.render()} (in force from "
                        f"{cap_reading.effective_from.isoformat()})",
                        *result.steps,
                    ],
                    [cap_reading],
                ),
                basis,
            )
        )

    def ineligible(self) -> tuple[tuple[str, Ineligible], ...]:
        found = list(self.unknown)
        for lease in self.leases.values():
            if lease.participant_id in self.lessees:
                found.extend((lease.lease_id, i) for i in self._assess(lease).ineligible)
        return tuple(found)


def replay(
    events: Iterable[RentalEvent],
    lessees: Mapping[str, Lessee],
    params: ParameterSet,
    as_of: date | None = None,
) -> Replay:
    """Play ``events`` (in date order) through the lease policies and the budget ledger.

    Entitlements accrue from receivables as they are paid; a year's entitlement is settled
    (reviewed against the year's cap, as if approved and paid at once) when it is earned: at
    the year's end or the lease's end. A payment for a year already settled adds a late claim
    for the difference. Whatever is earned by ``as_of`` (default: everything) is settled at
    the end; what is still accruing then is not a claim yet.
    """
    state = _Replayer(lessees, params)
    pending: set[str] = set()
    year: int | None = None
    for event in events:
        if year is None or event.on.year > year:
            pending |= set(state.leases)  # a year ended: its entitlements are earned
            year = event.on.year
        state.settle(sorted(pending), event.on)
        pending.clear()
        if isinstance(event, LeaseActivated):
            if state.activated(event.lease):
                pending.add(event.lease.lease_id)
        elif isinstance(event, ReceivablePaid):
            if state.paid(event):
                pending.add(event.lease_id)
        else:
            state.ended(event)
            pending.add(event.lease_id)
    state.settle(list(state.leases), as_of or date.max)
    return Replay(tuple(state.claims), state.budgets, state.ineligible())


def in_years(period: str, start: date, end: date) -> bool:
    """Whether a claim's calendar year overlaps ``[start, end)`` (designations never do)."""
    if not period.isdigit():
        return False
    year = int(period)
    return date(year, 1, 1) < end and date(year + 1, 1, 1) > start


# --------------------------------------------------------------------------- what-if


@dataclass(frozen=True, slots=True)
class CompanyFigures:
    participant_id: str
    actual: Decimal
    simulated: Decimal

    @property
    def difference(self) -> Decimal:
        return self.simulated - self.actual


@dataclass(frozen=True, slots=True)
class BudgetFigures:
    policy: PolicyCode
    period: str
    actual: Decimal
    simulated: Decimal

    @property
    def difference(self) -> Decimal:
        return self.simulated - self.actual


@dataclass(frozen=True)
class SimulationResult:
    start: date
    end: date
    base_version: str
    simulated_version: str
    companies: tuple[CompanyFigures, ...]
    budgets: tuple[BudgetFigures, ...]
    actual_claims: tuple[ClaimOutcome, ...]
    simulated_claims: tuple[ClaimOutcome, ...]

    @property
    def actual_total(self) -> Decimal:
        return sum((c.actual for c in self.companies), ZERO)

    @property
    def simulated_total(self) -> Decimal:
        return sum((c.simulated for c in self.companies), ZERO)

    @property
    def budget_difference(self) -> Decimal:
        return self.simulated_total - self.actual_total


def _change_field(where: str) -> str:
    """The request field of a changed parameter (``name`` or ``name@date``), as the problem
    names fields: ``changes.<name>`` or ``changes.<name>.<date>``."""
    return "changes." + where.replace("@", ".", 1)


def simulate(
    events: Sequence[RentalEvent],
    lessees: Mapping[str, Lessee],
    params: ParameterSet,
    changes: Mapping[str, Mapping[Any, Any]],
    start: date,
    end: date,
) -> SimulationResult:
    """What each company would have received over ``[start, end)`` with ``changes`` applied.

    Every event before ``end`` is replayed year by year with the same accrual rules as real
    claims (earlier claims in a year use up its cap; nothing counts before it is earned), and
    the claims of the calendar years overlapping the period that are earned by ``end`` are
    compared, company by company and budget by budget.
    """
    if not start < end:
        raise Unprocessable("the period's start must come before its end", field="period")
    if not changes:
        raise Unprocessable("a simulation changes at least one parameter", field="changes")
    try:
        changed = params.with_overrides(changes)
    except ParameterError as error:
        raise Unprocessable(
            error.detail, field=_change_field(error.where), code=SubsidyProblem.INVALID_PARAMETER
        ) from None
    replayed = [e for e in events if e.on < end]
    actual = [
        c for c in replay(replayed, lessees, params, end).claims if in_years(c.period, start, end)
    ]
    try:
        simulated = [
            c
            for c in replay(replayed, lessees, changed, end).claims
            if in_years(c.period, start, end)
        ]
    except Unprocessable as error:
        # a change that takes a parameter out of force where a rule reads it: name the change
        named = [e.get("field") for e in error.extra.get("errors", ())]
        if not named or named[0] not in changes:
            raise
        raise Unprocessable(
            error.detail, field=_change_field(str(named[0])), code=error.code
        ) from None
    by_company: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    by_budget: dict[tuple[PolicyCode, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for column, claims in enumerate((actual, simulated)):
        for claim in claims:
            by_company[claim.participant_id][column] += claim.net
            by_budget[(claim.policy, claim.period)][column] += claim.net
    return SimulationResult(
        start,
        end,
        params.version,
        changed.version,
        tuple(CompanyFigures(p, a, s) for p, (a, s) in sorted(by_company.items())),
        tuple(BudgetFigures(k[0], k[1], a, s) for k, (a, s) in sorted(by_budget.items())),
        tuple(actual),
        tuple(simulated),
    )
