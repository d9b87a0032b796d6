"""Request and response bodies of the claim and application endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "partially_approve",
                    "amount": {"amount": "320000.00", "currency": "CNY"},
                },
                {"decision": "approve"},
                {"decision": "reject", "reason_code": "documents_incomplete"},
            ]
        },
    )

    decision: ReviewVerdict
    amount: MoneyIn | None = Field(default=None, description="partially_approve: the grant")
    reason_code: ReasonCode | None = None

    def as_decision(self) -> ReviewDecision:
        amount = self.amount.amount if self.amount is not None else None
        return ReviewDecision(self.decision, amount, self.reason_code)


class DisburseIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"payment_reference": "FJ-CZ-2026-000318"}]}
    )

    payment_reference: str = Field(min_length=1, max_length=100)


_CLAIM: dict[str, Any] = {
    "id": "0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b",
    "policy": "fujian_data_park",
    "participant_id": "0192e7d1-3b4c-7a5d-8e6f-7a8b9c0d1e2f",
    "lease_id": None,
    "designation_id": "0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12",
    "period": "designation:0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12",
    "basis": "application",
    "earned_on": "2026-11-30",
    "status": "disbursed",
    "entitled": {"amount": "500000.00", "currency": "CNY"},
    "granted": {"amount": "320000.00", "currency": "CNY"},
    "reason_code": None,
    "policy_version": "sha256:cd3380df2863e52ba53e8e9900b207137a3b9bdf14eff0bb3af6a5a158067d2f",
    "documents": [{"name": "designation notice", "sha256": "9f" * 32}],
    "payment_reference": "FJ-CZ-2026-000318",
    "created_at": "2026-11-30T02:10:00+00:00",
    "updated_at": "2026-12-04T07:45:00+00:00",
}
"""A Fujian park application, granted the remainder of its designation's cap and paid."""


class ClaimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_CLAIM]})

    id: uuid.UUID
    policy: str
    participant_id: uuid.UUID
    lease_id: uuid.UUID | None
    designation_id: uuid.UUID | None = Field(
        description="an application's designation (POST /v1/designations); none for a lease's"
    )
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

    @field_validator("entitled", "granted", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        return Money.of(value) if isinstance(value, Decimal) else value

    @classmethod
    def of(cls, claim: Claim) -> Self:
        """The claim as stored (its row, by name)."""
        return cls.model_validate(claim)


class ClaimDetailOut(ClaimOut):
    """A claim with the computation that produced it, step by step."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                _CLAIM
                | {
                    "explanation": {
                        "policy_version": _CLAIM["policy_version"],
                        "steps": [
                            "1. applicant 0192e7d1-3b4c-7a5d-8e6f-7a8b9c0d1e2f is in 350102, in "
                            "fujian: regions.fujian = [35] (in force from 2020-01-01)",
                            "2. designation 0192f1c4-7a3e-7c21-9d1e-5b0c6f3a2e12 (park 'Fuzhou "
                            "Data Element Park', 350102, designated 2026-03-18); applied on "
                            "2026-11-30",
                            "3. amount requested 500000.00, within the maximum 5000000.00 per "
                            "designation [fujian_data_park.max_per_designation = 5000000 "
                            "(in force from 2025-01-01)]; every applicant under the designation "
                            "shares it",
                        ],
                        "parameters": [
                            {
                                "parameter": "fujian_data_park.max_per_designation",
                                "value": "5000000",
                                "effective_from": "2025-01-01",
                                "unit": "currency-CNY",
                            }
                        ],
                    }
                }
            ]
        },
    )

    explanation: ExplanationOut

    @field_validator("explanation", mode="before")
    @classmethod
    def _explanation(cls, value: object) -> object:
        return ExplanationOut.from_document(value) if isinstance(value, dict) else value


class ClaimPage(BaseModel):
    items: list[ClaimOut]
    next_cursor: str | None
