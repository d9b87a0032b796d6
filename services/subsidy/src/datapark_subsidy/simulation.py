"""Replaying recorded rental events through the rules, for what-if questions and golden tests.

``replay`` plays lease activations and terminations in their recorded order through the lease
policies and the budget ledger, as if every entitlement were approved and paid out at once:
caps bind in event order, a claim that would cross one gets the remainder, and an early
termination claws back. ``simulate`` does it twice, with the real and with changed parameters,
and reports per company what was (or would have been) granted and the budget difference.
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
from datapark_subsidy.budget import Budget
from datapark_subsidy.deadlines import clawback
from datapark_subsidy.facts import Explanation, Ineligible, LeaseFacts, Lessee, ReasonCode
from datapark_subsidy.lifecycle import ClaimStatus, ReviewDecision, ReviewVerdict, review
from datapark_subsidy.policies.catalog import POLICIES, PolicyCode
from datapark_subsidy.policies.parameters import ParameterSet
from datapark_subsidy.rules import assess_lease, period_cap

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class LeaseActivated:
    """A recorded ``lease activated`` event, reduced to the facts the rules read."""

    lease: LeaseFacts

    @property
    def on(self) -> date:
        return self.lease.activated_on


@dataclass(frozen=True, slots=True)
class LeaseTerminated:
    """A recorded early termination of a lease."""

    lease_id: str
    terminated_on: date

    @property
    def on(self) -> date:
        return self.terminated_on


RentalEvent = LeaseActivated | LeaseTerminated

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

    @property
    def net(self) -> Decimal:
        """What the company keeps: nothing once clawed back."""
        return ZERO if self.status is ClaimStatus.REVERSED else self.granted


@dataclass(frozen=True)
class Replay:
    claims: tuple[ClaimOutcome, ...]
    budgets: Mapping[BudgetKey, Budget]
    ineligible: tuple[tuple[str, Ineligible], ...]
    """(lease id, verdict) for every policy that refused a lease."""


def replay(
    events: Iterable[RentalEvent], lessees: Mapping[str, Lessee], params: ParameterSet
) -> Replay:
    """Play ``events`` in order through the lease policies and the budget ledger."""
    budgets: dict[BudgetKey, Budget] = {}
    claims: list[ClaimOutcome] = []
    ineligible: list[tuple[str, Ineligible]] = []
    leases: dict[str, LeaseFacts] = {}
    for event in events:
        if isinstance(event, LeaseActivated):
            lease = event.lease
            if lease.lease_id in leases:
                continue  # a replayed activation never makes a second claim
            leases[lease.lease_id] = lease
            lessee = lessees.get(lease.participant_id)
            if lessee is None:
                ineligible.append(
                    (
                        lease.lease_id,
                        Ineligible(
                            PolicyCode.BEIJING_FINANCING_LEASE,
                            ReasonCode.UNKNOWN_PARTICIPANT,
                            f"participant {lease.participant_id} is unknown",
                        ),
                    )
                )
                continue
            assessment = assess_lease(lease, lessee, params)
            ineligible.extend((lease.lease_id, i) for i in assessment.ineligible)
            for entitlement in assessment.entitlements:
                key = (entitlement.policy, entitlement.participant_id, entitlement.period)
                cap, cap_reading = period_cap(
                    POLICIES[entitlement.policy], entitlement.period, entitlement.earned_on, params
                )
                budgets.setdefault(key, Budget(cap))
                result = review(
                    entitlement.amount, ReviewDecision(ReviewVerdict.APPROVE), budgets[key]
                )
                status = result.status
                if result.granted > 0:
                    budgets[key] = result.budget.post(result.granted)
                    status = ClaimStatus.DISBURSED
                explanation = entitlement.explanation.then(
                    [
                        f"cap for {entitlement.period}: {cap_reading.parameter} = "
                        f"{cap_reading.render()} (in force from "
                        f"{cap_reading.effective_from.isoformat()})",
                        *result.steps,
                    ],
                    [cap_reading],
                )
                claims.append(
                    ClaimOutcome(
                        entitlement.policy,
                        entitlement.participant_id,
                        entitlement.lease_id,
                        entitlement.period,
                        entitlement.earned_on,
                        entitlement.amount,
                        result.granted,
                        status,
                        result.reason,
                        explanation,
                    )
                )
        else:
            _claw_back(event, leases, claims, budgets, params)
    return Replay(tuple(claims), budgets, tuple(ineligible))


def _claw_back(
    event: LeaseTerminated,
    leases: Mapping[str, LeaseFacts],
    claims: list[ClaimOutcome],
    budgets: dict[BudgetKey, Budget],
    params: ParameterSet,
) -> None:
    lease = leases.get(event.lease_id)
    if lease is None:
        return
    for index, claim in enumerate(claims):
        if claim.lease_id != lease.lease_id or claim.status is not ClaimStatus.DISBURSED:
            continue
        decision = clawback(
            claim.policy, lease.lease_id, lease.activated_on, event.terminated_on, params
        )
        if not decision.applies:
            continue
        key = (claim.policy, claim.participant_id, claim.period)
        budgets[key] = budgets[key].reverse(claim.granted)
        claims[index] = replace(
            claim,
            status=ClaimStatus.REVERSED,
            explanation=claim.explanation.then(decision.steps, [decision.reading]),
        )


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


def simulate(
    events: Sequence[RentalEvent],
    lessees: Mapping[str, Lessee],
    params: ParameterSet,
    changes: Mapping[str, Mapping[Any, Any]],
    start: date,
    end: date,
) -> SimulationResult:
    """What each company would have received over ``[start, end)`` with ``changes`` applied.

    Every event before ``end`` is replayed (earlier claims in a year use up its cap), and the
    claims earned inside the period are compared, company by company and budget by budget.
    """
    if not start < end:
        raise Unprocessable("the period's start must come before its end", field="period")
    if not changes:
        raise Unprocessable("a simulation changes at least one parameter", field="changes")
    changed = params.with_overrides(changes)
    replayed = [e for e in events if e.on < end]
    actual = [c for c in replay(replayed, lessees, params).claims if start <= c.earned_on < end]
    simulated = [c for c in replay(replayed, lessees, changed).claims if start <= c.earned_on < end]
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
