"""Request and response bodies of the claim and application endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_contracts.money import Money as MoneyIn
from datapark_kit.schemas import RequestModel
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.claims.states import ClaimStatus, ReviewDecision, ReviewVerdict
from datapark_subsidy.terms.assessment import ReasonCode
from datapark_subsidy.terms.schemas import ExplanationOut, Money

ApplicationPolicy = Literal["fujian_data_cluster", "fujian_data_park"]


class Document(RequestModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex sha256 of the document")


class ApplicationIn(RequestModel):
    """An application for Fujian cluster or park support, with its documents' hashes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "policy": "fujian_data_park",
                    "designation_id": "0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12",
                    "amount": {"amount": "500000.00", "currency": "CNY"},
                    "documents": [{"name": "designation notice", "sha256": "0" * 64}],
                }
            ]
        },
    )

    policy: ApplicationPolicy
    participant_id: uuid.UUID | None = Field(
        default=None, description="the operator applying; defaults to the caller's participant"
    )
    designation_id: uuid.UUID = Field(
        description="the designation on record (POST /v1/designations) applied under"
    )
    applied_on: date | None = Field(default=None, description="defaults to today (UTC)")
    amount: MoneyIn = Field(description="the amount requested")
    documents: list[Document] = Field(min_length=1, max_length=50)
    submit: bool = Field(default=True, description="submit at once, or keep as a draft")


class ReviewIn(RequestModel):
    """A reviewer's decision: approve, approve a lower amount, or reject with a reason code."""

    model_config = ConfigDict(extra="forbid")

    decision: ReviewVerdict
    amount: MoneyIn | None = Field(default=None, description="partially_approve: the grant")
    reason_code: ReasonCode | None = None

    def as_decision(self) -> ReviewDecision:
        amount = self.amount.amount if self.amount is not None else None
        return ReviewDecision(self.decision, amount, self.reason_code)


class DisburseIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    payment_reference: str = Field(min_length=1, max_length=100)


class ClaimOut(BaseModel):
    id: uuid.UUID
    policy: str
    participant_id: uuid.UUID
    lease_id: uuid.UUID | None
    designation_id: str | None
    period: str
    basis: str = Field(
        description="schedule (a lease's payments of the year), late:<n> (the year's payments "
        "paid after its claim was decided), usage:<YYYY-MM> (older claims) or application"
    )
    earned_on: date = Field(
        description="a lease claim is earned on 1 January after its year, or on its lease's end "
        "if earlier, and cannot be reviewed or paid before (409 not_yet_earned); an "
        "application: the day it was made"
    )
    status: ClaimStatus
    entitled: Money
    granted: Money | None
    reason_code: str | None
    policy_version: str
    documents: list[Document]
    payment_reference: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, claim: Claim) -> ClaimOut:
        return cls(
            id=claim.id,
            policy=claim.policy,
            participant_id=claim.participant_id,
            lease_id=claim.lease_id,
            designation_id=claim.designation_id,
            period=claim.period,
            basis=claim.basis,
            earned_on=claim.earned_on,
            status=ClaimStatus(claim.status),
            entitled=Money.of(claim.entitled),
            granted=Money.of(claim.granted) if claim.granted is not None else None,
            reason_code=claim.reason_code,
            policy_version=claim.policy_version,
            documents=[Document.model_validate(d) for d in claim.documents],
            payment_reference=claim.payment_reference,
            created_at=claim.created_at,
            updated_at=claim.updated_at,
        )


class ClaimDetailOut(ClaimOut):
    """A claim with the computation that produced it, step by step."""

    explanation: ExplanationOut

    @classmethod
    def of(cls, claim: Claim) -> ClaimDetailOut:
        return cls(
            **ClaimOut.of(claim).model_dump(),
            explanation=ExplanationOut.from_document(claim.explanation),
        )


class ClaimPage(BaseModel):
    items: list[ClaimOut]
    next_cursor: str | None
