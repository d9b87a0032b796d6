"""Events of subsidy (topic ``subsidy.claims.v1``): claims (key = claim id), budget
movements (key = budget id) and Fujian designations (key = designation id).

Every claim event carries the whole claim as it stands after the fact, with the policy files'
version that produced its amount; every budget event carries the ledger entry and the row's
figures after it, so a consumer (or an auditor replaying the log) needs nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from datapark_contracts.money import Amount
from datapark_contracts.payloads import EventPayload, event
from datapark_contracts.topics import SUBSIDY_CLAIMS

ClaimStatus = Literal[
    "draft",
    "submitted",
    "under_review",
    "approved",
    "partially_approved",
    "rejected",
    "funds_reserved",
    "disbursed",
    "reconciled",
    "cancelled",
    "expired",
    "reversed",
]
PolicyCode = Literal[
    "beijing_financing_lease",
    "xiongan_robot_leasing",
    "fujian_data_cluster",
    "fujian_data_park",
]
LedgerOp = Literal["reserve", "post", "void", "reverse"]
DesignationKind = Literal["cluster", "park"]


class ClaimSnapshot(EventPayload):
    """The whole claim after the change."""

    claim_id: uuid.UUID
    policy: PolicyCode
    participant_id: uuid.UUID
    lease_id: uuid.UUID | None = Field(description="the lease an automatic claim comes from")
    designation_id: str | None = Field(description="the designation an application is for")
    period: str = Field(description="budget period: a calendar year or designation:<id>")
    basis: str = Field(
        default="schedule",
        description=(
            "what the amount rests on: schedule (a lease's payments of the year), late:<n> (the "
            "year's payments paid after its claim was decided), usage:<YYYY-MM> (older claims) "
            "or application"
        ),
    )
    status: ClaimStatus
    entitled: Amount = Field(description="what the rule (or the application) asks for, CNY")
    granted: Amount | None = Field(description="what the review and the budget granted, CNY")
    currency: Literal["CNY"] = "CNY"
    reason_code: str | None = None
    policy_version: str = Field(description="sha256 of the policy files that produced the amount")
    occurred_at: datetime


@event("datapark.subsidy.claim.created.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimCreated(ClaimSnapshot):
    """An entitlement appeared from a lease event, or an application was drafted."""

    earned_on: date = Field(
        description=(
            "a lease claim: the day the year's entitlement is earned (1 January after the year,"
            " or the lease's end if earlier); no review, approval or payment before it. An "
            "application: the day it was made"
        )
    )
    explanation: tuple[str, ...] = Field(description="the computation, step by step")


@event("datapark.subsidy.claim.accrued.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimAccrued(ClaimSnapshot):
    """A lease claim not yet decided changed as its lease ran: more of the year's payments
    were paid (``entitled`` grew), or the lease ended (``earned_on`` moved to its end)."""

    earned_on: date
    previous_entitled: Amount
    explanation: tuple[str, ...] = Field(description="the computation, step by step")


@event("datapark.subsidy.claim.submitted.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimSubmitted(ClaimSnapshot):
    """The applicant submitted its application for review."""


@event("datapark.subsidy.claim.reviewed.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimReviewed(ClaimSnapshot):
    """A reviewer approved, partially approved or rejected the claim (``status`` says which)."""

    reviewer_id: uuid.UUID


@event("datapark.subsidy.claim.funds_reserved.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimFundsReserved(ClaimSnapshot):
    """The granted amount is held in the budget."""


@event("datapark.subsidy.claim.disbursed.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimDisbursed(ClaimSnapshot):
    """The granted amount was paid out; the budget committed it."""

    payment_reference: str


@event("datapark.subsidy.claim.reconciled.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimReconciled(ClaimSnapshot):
    """The payment was matched with the bank statement."""


@event("datapark.subsidy.claim.cancelled.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimCancelled(ClaimSnapshot):
    """The claim was withdrawn before payment (by its holder, or because its lease ended)."""


@event("datapark.subsidy.claim.expired.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimExpired(ClaimSnapshot):
    """The claim lapsed before payment; any reservation was voided."""


@event("datapark.subsidy.claim.reversed.v1", topic=SUBSIDY_CLAIMS, aggregate="claim")
class ClaimReversed(ClaimSnapshot):
    """Clawback: the subsidised lease ended early and what it drew is taken back."""

    explanation: tuple[str, ...]


@event("datapark.subsidy.budget.entry_recorded.v1", topic=SUBSIDY_CLAIMS, aggregate="budget")
class BudgetEntryRecorded(EventPayload):
    """One ledger entry on a budget row (reserve, post, void or reverse) and the row after it."""

    budget_id: uuid.UUID
    entry_id: uuid.UUID
    policy: PolicyCode
    participant_id: uuid.UUID
    period: str
    op: LedgerOp
    amount: Amount
    claim_id: uuid.UUID
    idempotency_key: str
    cap: Amount
    reserved: Amount
    committed: Amount
    currency: Literal["CNY"] = "CNY"
    occurred_at: datetime
    designation_id: str | None = Field(
        default=None,
        description=(
            "set on a designation's budget, which every applicant under it shares; "
            "participant_id then names the applicant whose claim made the entry"
        ),
    )


class DesignationSnapshot(EventPayload):
    """The whole designation after the fact."""

    designation_id: uuid.UUID
    kind: DesignationKind
    name: str
    region_code: str = Field(pattern=r"^[0-9]{6}$")
    designated_on: date
    recorded_by: uuid.UUID
    occurred_at: datetime


@event("datapark.subsidy.designation.recorded.v1", topic=SUBSIDY_CLAIMS, aggregate="designation")
class DesignationRecorded(DesignationSnapshot):
    """An operator recorded a provincial designation of a data-industry cluster or a
    data-element park; its cap is shared by whoever applies under it."""


@event("datapark.subsidy.designation.corrected.v1", topic=SUBSIDY_CLAIMS, aggregate="designation")
class DesignationCorrected(DesignationSnapshot):
    """An operator corrected a designation's name, region or date before anyone applied
    under it."""

    corrected_by: uuid.UUID
