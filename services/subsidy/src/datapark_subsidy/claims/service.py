"""Use cases of claims: open them from leases and applications, review, pay, withdraw, claw back.

Every state change goes through the pure lifecycle (``lifecycle.py``), every money move through
the budget ledger, and every fact is published through the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.subsidy import (
    ClaimAccrued,
    ClaimCancelled,
    ClaimCreated,
    ClaimDisbursed,
    ClaimExpired,
    ClaimFundsReserved,
    ClaimReconciled,
    ClaimReversed,
    ClaimReviewed,
    ClaimSnapshot,
    ClaimSubmitted,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_subsidy.budgets.balance import Budget, LedgerOp
from datapark_subsidy.budgets.ledger import BudgetLedger, as_budget
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.claims.deadlines import clawback, reservation_lapse
from datapark_subsidy.claims.eligibility import assess_lease, period_cap
from datapark_subsidy.claims.entitlement import application_entitlement
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.claims.repository import ClaimRepository
from datapark_subsidy.claims.states import (
    TERMINAL,
    ClaimAction,
    ClaimStatus,
    ReviewDecision,
    already_applied,
    ledger_effect,
    next_status,
    review,
)
from datapark_subsidy.designations.repository import DesignationRepository
from datapark_subsidy.participants.repository import ParticipantDirectory
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.tables import OUTBOX
from datapark_subsidy.terms.access import sees_all_claims
from datapark_subsidy.terms.assessment import (
    Entitlement,
    Explanation,
    Ineligible,
    LeaseFacts,
    Lessee,
    cite,
)
from datapark_subsidy.terms.clock import park_today
from datapark_subsidy.terms.parameters import ParameterSet, Reading
from datapark_subsidy.terms.policies import POLICIES, CapScope, PolicyCode
from datapark_subsidy.terms.schemas import explanation_document, readings_document

A, S = ClaimAction, ClaimStatus
_OUTCOME_ACTION = {
    S.APPROVED: A.APPROVE,
    S.PARTIALLY_APPROVED: A.PARTIALLY_APPROVE,
    S.REJECTED: A.REJECT,
}
_NOT_DRAWN = {S.REJECTED, S.CANCELLED, S.EXPIRED, S.REVERSED}
_NO_BUDGET = Budget(Decimal("0.00"))
"""Stands in for the budget of a rejection, which never touches one."""


def _snapshot(claim: Claim, event: type[ClaimSnapshot], **extra: Any) -> ClaimSnapshot:
    return event(
        claim_id=claim.id,
        policy=claim.policy,
        participant_id=claim.participant_id,
        lease_id=claim.lease_id,
        designation_id=None if claim.designation_id is None else str(claim.designation_id),
        period=claim.period,
        basis=claim.basis,
        status=claim.status,
        entitled=claim.entitled,
        granted=claim.granted,
        reason_code=claim.reason_code,
        policy_version=claim.policy_version,
        occurred_at=claim.updated_at,
        **extra,
    )


NOT_EARNED = "not_earned"
"""Reason code of a lease claim withdrawn because nothing of its year is earned (any more)."""


def _pending(claim: Claim) -> bool:
    """A lease claim still accruing: not decided yet."""
    return claim.lease_id is not None and S(claim.status) is S.UNDER_REVIEW and not claim.granted


def _unearned(claim: Claim) -> bool:
    """Withdrawn because nothing was earned: it claimed nothing a later claim must deduct."""
    return S(claim.status) is S.CANCELLED and claim.reason_code == NOT_EARNED


def _require_earned(claim: Claim, what: str) -> None:
    """A lease claim is earned at its year's end or its lease's end: not reviewed, approved
    or paid before (409 naming the date)."""
    today = park_today()
    if claim.lease_id is not None and today < claim.earned_on:
        raise Conflict(
            f"claim {claim.id} for {claim.period} is earned on {claim.earned_on.isoformat()} "
            f"(its year's end or its lease's end); it cannot be {what} before then "
            f"(today is {today.isoformat()})",
            code=SubsidyProblem.NOT_YET_EARNED,
            earned_on=claim.earned_on.isoformat(),
        )


def _steps(claim: Claim) -> tuple[str, ...]:
    return tuple(f"{i}. {s}" for i, s in enumerate(claim.explanation["steps"], start=1))


class ClaimService:
    def __init__(self, session: AsyncSession, params: ParameterSet) -> None:
        self.session = session
        self.params = params
        self.repo = ClaimRepository(session)
        self.ledger = BudgetLedger(session)

    # ------------------------------------------------------------------ reading claims

    async def get(self, principal: Principal, claim_id: uuid.UUID) -> Claim:
        """One claim, for its applicant or whoever sees every claim; anyone else 404."""
        claim = await self.repo.get(claim_id)
        if claim is None or not (
            sees_all_claims(principal) or claim.participant_id == principal.participant_id
        ):
            raise NotFound("claim not found")
        return claim

    async def page(
        self,
        principal: Principal,
        *,
        participant_id: uuid.UUID | None,
        status: ClaimStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Claim], str | None]:
        """A page of claims, oldest first: the caller's own, or any participant's for whoever
        sees every claim."""
        if not sees_all_claims(principal):
            if participant_id is not None and participant_id != principal.participant_id:
                raise NotFound("participant not found")
            participant_id = principal.participant_id
        rows = await self.repo.page(
            participant_id=participant_id,
            status=status.value if status else None,
            after=cursor_id(cursor),
            limit=limit + 1,
        )
        return keyset_page(rows, limit, key=lambda c: c.id)

    # ------------------------------------------------------------------ opening claims

    async def accrue_lease_claims(
        self, lease: LeaseFacts, lease_id: uuid.UUID, lessee: Lessee
    ) -> tuple[Ineligible, ...]:
        """Bring a lease's claims up to what it has earned so far (earned, not promised).

        One claim per policy and calendar year (status ``under_review``, ``earned_on`` the
        year's end or the lease's end) that grows as the year's receivables are paid, until a
        reviewer decides it; a payment of that year arriving after the decision opens a late
        claim for the difference (basis ``late:<n>``). Replays find the figures already there
        and change nothing; a lease clawed back accrues nothing more.
        """
        existing = await self.repo.for_lease(lease_id, for_update=True)
        drawn = {PolicyCode(c.policy) for c in existing if S(c.status) not in _NOT_DRAWN}
        assessment = assess_lease(lease, lessee, self.params, already_drawn=drawn)
        for entitlement in assessment.entitlements:
            if lease.ended_on is not None and (
                clawback(
                    entitlement.policy,
                    lease.lease_id,
                    lease.activated_on,
                    lease.ended_on,
                    self.params,
                    lease.end_reason or "terminated",
                ).applies
            ):
                continue  # ended early: what it would draw is clawed back
            same = [
                c
                for c in existing
                if (c.policy, c.period) == (entitlement.policy.value, entitlement.period)
            ]
            pending = next((c for c in same if _pending(c)), None)
            others = sum(
                (c.entitled for c in same if c is not pending and not _unearned(c)),
                Decimal("0.00"),
            )
            amount = entitlement.amount - others
            if amount <= 0:
                continue
            explanation = entitlement.explanation
            if others > 0:
                explanation = explanation.then(
                    [f"already claimed for {entitlement.period}: {others}; this claim: {amount}"]
                )
            if pending is not None:
                await self._accrued(pending, amount, entitlement.earned_on, explanation)
                continue
            await self._open(
                replace(entitlement, amount=amount, explanation=explanation),
                lease_id=lease_id,
                designation_id=None,
                status=S.UNDER_REVIEW,
                documents=[],
                basis="schedule" if not same else f"late:{len(same) + 1}",
            )
        earned = {(e.policy.value, e.period) for e in assessment.entitlements}
        for claim in existing:
            if _pending(claim) and (claim.policy, claim.period) not in earned:
                # nothing of it is earned any more (what was paid fell due after the lease
                # ended, or an older reading promised it): withdrawn, never reviewed
                claim.reason_code = NOT_EARNED
                self._explain(
                    claim,
                    [f"nothing of {claim.period} is earned as the lease now stands: withdrawn"],
                    [],
                )
                await self._withdraw(claim, A.CANCEL)
        return assessment.ineligible

    async def _accrued(
        self, claim: Claim, amount: Decimal, earned_on: date, explanation: Explanation
    ) -> None:
        if (claim.entitled, claim.earned_on) == (amount, earned_on):
            return
        previous = claim.entitled
        claim.entitled = amount
        claim.earned_on = earned_on
        claim.policy_version = explanation.policy_version
        claim.explanation = explanation_document(explanation)
        await self._publish(
            claim,
            ClaimAccrued,
            earned_on=earned_on,
            previous_entitled=previous,
            explanation=_steps(claim),
        )

    async def apply(
        self,
        principal: Principal,
        *,
        policy: PolicyCode,
        participant_id: uuid.UUID | None,
        designation_id: uuid.UUID,
        applied_on: date,
        amount: Decimal,
        documents: list[dict[str, str]],
        submit: bool,
    ) -> Claim:
        """An operator's application for Fujian cluster or park support (a draft, or submitted)."""
        applicant_id = participant_id or principal.participant_id
        if applicant_id != principal.participant_id and not principal.has("operator"):
            raise NotFound("participant not found")
        applicant = await ParticipantDirectory(self.session).lessee(applicant_id)
        if applicant is None:
            raise Unprocessable(
                f"participant {applicant_id} is unknown to subsidy",
                field="participant_id",
                code=SubsidyProblem.UNKNOWN_PARTICIPANT,
            )
        # locked: a correction of the designation waits for (and then sees) this application
        designation = await DesignationRepository(self.session).get(designation_id, for_update=True)
        if designation is None:
            raise Unprocessable(
                f"designation {designation_id} is not on record",
                field="designation_id",
                code=SubsidyProblem.NOT_DESIGNATED,
            )
        entitlement = application_entitlement(
            policy, applicant, designation.as_facts(), applied_on, amount, self.params
        )
        claim = await self._open(
            entitlement,
            lease_id=None,
            designation_id=designation_id,
            status=S.DRAFT,
            documents=documents,
            basis="application",
        )
        if submit:
            await self._move(claim, A.SUBMIT, ClaimSubmitted)
        return claim

    async def _open(
        self,
        entitlement: Entitlement,
        *,
        lease_id: uuid.UUID | None,
        designation_id: uuid.UUID | None,
        status: ClaimStatus,
        documents: list[dict[str, str]],
        basis: str,
    ) -> Claim:
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "id": uuid7(),
            "policy": entitlement.policy.value,
            "participant_id": uuid.UUID(entitlement.participant_id),
            "lease_id": lease_id,
            "designation_id": designation_id,
            "period": entitlement.period,
            "basis": basis,
            "earned_on": entitlement.earned_on,
            "status": status.value,
            "entitled": entitlement.amount,
            "granted": None,
            "reason_code": None,
            "policy_version": entitlement.explanation.policy_version,
            "explanation": explanation_document(entitlement.explanation),
            "documents": documents,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        policy = values["policy"]
        if lease_id is not None:
            if not await self.repo.add_for_lease(values):
                existing = [
                    c
                    for c in await self.repo.for_lease(lease_id)
                    if (c.policy, c.period, c.basis) == (policy, entitlement.period, basis)
                ]
                return existing[0]
            claim = await self.repo.get(values["id"])
            assert claim is not None
        else:
            claim = Claim(**values)
            await self.repo.add(claim)
        await OUTBOX.append(
            self.session,
            _snapshot(claim, ClaimCreated, earned_on=claim.earned_on, explanation=_steps(claim)),
            occurred_at=now,
        )
        return claim

    # ------------------------------------------------------------------ lifecycle

    async def submit(self, principal: Principal, claim_id: uuid.UUID) -> Claim:
        claim = await self._locked_for(principal, claim_id)
        if not already_applied(S(claim.status), A.SUBMIT):
            await self._move(claim, A.SUBMIT, ClaimSubmitted)
        return claim

    async def review(
        self, principal: Principal, claim_id: uuid.UUID, decision: ReviewDecision
    ) -> Claim:
        """A reviewer's decision; the budget grants all, the remainder or nothing.

        Repeating a decision that already took effect changes nothing (approval twice: one
        effect); a contradicting one is an invalid state (409).
        """
        claim = await self._locked(claim_id)
        _require_earned(claim, "reviewed")
        status = S(claim.status)
        verdict_action = A(decision.verdict.value)
        if already_applied(status, verdict_action):
            return claim
        if status is S.SUBMITTED:
            status = next_status(status, A.START_REVIEW)
        next_status(status, verdict_action)  # refuses a review in any other state
        row: BudgetRow | None = None
        cap_reading: Reading | None = None
        budget = None
        if verdict_action is not A.REJECT:
            row, cap_reading = await self._budget_row(claim)
            budget = as_budget(row)
        result = review(claim.entitled, decision, budget or _NO_BUDGET)
        next_status(status, _OUTCOME_ACTION[result.status])
        claim.status = result.status.value
        claim.granted = result.granted
        claim.reason_code = result.reason.value if result.reason else None
        claim.reviewer_id = principal.participant_id
        cap_step = (
            [f"cap for {claim.period}: {cite(cap_reading)}"] if cap_reading is not None else []
        )
        self._explain(claim, [*cap_step, *result.steps], [cap_reading] if cap_reading else [])
        await self._publish(claim, ClaimReviewed, reviewer_id=principal.participant_id)
        if row is not None and result.granted > 0:
            await self.ledger.record(
                row, LedgerOp.RESERVE, result.granted, claim.id, claim.participant_id
            )
            lapses_on, step, reading = reservation_lapse(datetime.now(UTC).date(), self.params)
            claim.lapses_on = lapses_on
            self._explain(claim, [step], [reading])
            await self._move(claim, A.RESERVE_FUNDS, ClaimFundsReserved)
        return claim

    async def disburse(self, claim_id: uuid.UUID, payment_reference: str) -> Claim:
        claim = await self._locked(claim_id)
        if already_applied(S(claim.status), A.DISBURSE):
            return claim
        _require_earned(claim, "disbursed")
        next_status(S(claim.status), A.DISBURSE)
        await self._ledger(claim, LedgerOp.POST)
        claim.payment_reference = payment_reference
        await self._move(claim, A.DISBURSE, ClaimDisbursed, payment_reference=payment_reference)
        return claim

    async def reconcile(self, claim_id: uuid.UUID) -> Claim:
        claim = await self._locked(claim_id)
        if not already_applied(S(claim.status), A.RECONCILE):
            await self._move(claim, A.RECONCILE, ClaimReconciled)
        return claim

    async def cancel(self, principal: Principal, claim_id: uuid.UUID) -> Claim:
        claim = await self._locked_for(principal, claim_id)
        await self._withdraw(claim, A.CANCEL)
        return claim

    async def expire(self, claim_id: uuid.UUID) -> Claim:
        claim = await self._locked(claim_id)
        await self._withdraw(claim, A.EXPIRE)
        return claim

    async def expire_lapsed(self, today: date, limit: int = 100) -> int:
        """Expire reservations that lapsed undisbursed (voiding them); skips locked claims so
        that several replicas may sweep side by side."""
        lapsed = await self.repo.lapsed(today, limit)
        for claim in lapsed:
            self._explain(
                claim, [f"not disbursed by {claim.lapses_on}: the reservation lapsed"], []
            )
            await self._withdraw(claim, A.EXPIRE)
        return len(lapsed)

    async def claw_back(
        self, lease_id: uuid.UUID, activated_on: date, ended_on: date, end_reason: str
    ) -> list[Claim]:
        """A subsidised lease ended early (within the clawback period, in a way that claws
        back): reverse what was paid, cancel what was not."""
        changed = []
        for claim in await self.repo.for_lease(lease_id, for_update=True):
            status = S(claim.status)
            if status in TERMINAL:
                continue
            decision = clawback(
                PolicyCode(claim.policy),
                str(lease_id),
                activated_on,
                ended_on,
                self.params,
                end_reason,
            )
            if not decision.applies:
                continue
            self._explain(claim, decision.steps, decision.readings)
            if status in (S.DISBURSED, S.RECONCILED):
                await self._ledger(claim, LedgerOp.REVERSE)
                await self._move(claim, A.REVERSE, ClaimReversed, explanation=_steps(claim))
            else:
                claim.reason_code = "lease_terminated_early"
                await self._withdraw(claim, A.CANCEL)
            changed.append(claim)
        return changed

    # ------------------------------------------------------------------ helpers

    async def _withdraw(self, claim: Claim, action: ClaimAction) -> None:
        status = S(claim.status)
        if already_applied(status, action):
            return
        next_status(status, action)
        effect = ledger_effect(status, action)
        if effect is not None:
            await self._ledger(claim, effect)
        event = ClaimCancelled if action is A.CANCEL else ClaimExpired
        await self._move(claim, action, event)

    async def _ledger(self, claim: Claim, op: LedgerOp) -> None:
        if claim.granted is None or claim.granted <= 0:
            return
        row, _ = await self._budget_row(claim)
        await self.ledger.record(row, op, claim.granted, claim.id, claim.participant_id)

    async def _budget_row(self, claim: Claim) -> tuple[BudgetRow, Reading]:
        """The claim's budget row, locked: the company's for the year, or the designation's,
        shared by every applicant under it (its cap read on the designation date)."""
        policy = POLICIES[PolicyCode(claim.policy)]
        shared = policy.cap_scope is CapScope.DESIGNATION
        on = claim.earned_on
        if shared and claim.designation_id is not None:
            designation = await DesignationRepository(self.session).get(claim.designation_id)
            if designation is not None:
                on = designation.designated_on
        cap, reading = period_cap(policy, claim.period, on, self.params)
        row = await self.ledger.repo.locked_row(
            policy=claim.policy,
            participant_id=None if shared else claim.participant_id,
            period=claim.period,
            cap=cap,
            cap_parameter=reading.parameter,
            cap_effective_from=reading.effective_from.isoformat(),
            policy_version=self.params.version,
        )
        return row, reading

    def _explain(self, claim: Claim, steps: Iterable[str], readings: Iterable[Reading]) -> None:
        doc = dict(claim.explanation)
        doc["steps"] = [*doc["steps"], *steps]
        doc["readings"] = [*doc["readings"], *readings_document(readings)]
        claim.explanation = doc

    async def _move(
        self, claim: Claim, action: ClaimAction, event: type[ClaimSnapshot], **extra: Any
    ) -> None:
        claim.status = next_status(S(claim.status), action).value
        await self._publish(claim, event, **extra)

    async def _publish(self, claim: Claim, event: type[ClaimSnapshot], **extra: Any) -> None:
        claim.updated_at = datetime.now(UTC)
        claim.version += 1
        await self.session.flush()
        await OUTBOX.append(
            self.session, _snapshot(claim, event, **extra), occurred_at=claim.updated_at
        )

    async def _locked(self, claim_id: uuid.UUID) -> Claim:
        claim = await self.repo.get(claim_id, for_update=True)
        if claim is None:
            raise NotFound("claim not found")
        return claim

    async def _locked_for(self, principal: Principal, claim_id: uuid.UUID) -> Claim:
        """The claim, locked, for its applicant: submitting and cancelling are the applicant's
        acts. Reviewers, operators and auditors see every claim but get 403 here; anyone
        else 404."""
        claim = await self.repo.get(claim_id, for_update=True)
        if claim is not None and claim.participant_id == principal.participant_id:
            return claim
        if claim is not None and sees_all_claims(principal):
            raise Forbidden(
                "only the applicant submits or cancels a claim", code=SubsidyProblem.NOT_APPLICANT
            )
        raise NotFound("claim not found")
