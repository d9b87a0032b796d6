"""HTTP endpoints of claims and applications."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_subsidy.claims.schemas import (
    ApplicationIn,
    ClaimDetailOut,
    ClaimOut,
    ClaimPage,
    DisburseIn,
    ReviewIn,
)
from datapark_subsidy.claims.service import ClaimService
from datapark_subsidy.claims.states import ClaimStatus
from datapark_subsidy.policies.endpoints import ParametersDep
from datapark_subsidy.problems import APPLICATION, CLAIM_MOVE
from datapark_subsidy.terms.policies import PolicyCode

router = APIRouter(prefix="/v1", tags=["claims"], route_class=UnitOfWorkRoute)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimDetailOut,
    dependencies=[require_roles("participant", "operator")],
    responses=problems(*APPLICATION),
    operation_id="applyForSubsidy",
)
async def apply(
    body: ApplicationIn, session: SessionDep, principal: CurrentPrincipal, params: ParametersDep
) -> ClaimDetailOut:
    """Apply for Fujian cluster or park support; 422 says why an applicant is not eligible."""
    claim = await ClaimService(session, params).apply(
        principal,
        policy=PolicyCode(body.policy),
        participant_id=body.participant_id,
        designation_id=body.designation_id,
        applied_on=body.applied_on or datetime.now(UTC).date(),
        amount=body.amount.amount,
        documents=[d.model_dump() for d in body.documents],
        submit=body.submit,
    )
    return ClaimDetailOut.of(claim)


@router.get("/claims", response_model=ClaimPage)
async def list_claims(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ParametersDep,
    participant_id: uuid.UUID | None = None,
    claim_status: Annotated[ClaimStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ClaimPage:
    """Claims of a participant (reviewers, operators and auditors may see every one)."""
    items, next_cursor = await ClaimService(session, params).page(
        principal, participant_id=participant_id, status=claim_status, cursor=cursor, limit=limit
    )
    return ClaimPage(items=[ClaimOut.of(c) for c in items], next_cursor=next_cursor)


@router.get("/claims/{claim_id}", response_model=ClaimDetailOut)
async def get_claim(
    claim_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, params: ParametersDep
) -> ClaimDetailOut:
    """One claim with its explanation: the steps, dated parameter values and policy version."""
    return ClaimDetailOut.of(await ClaimService(session, params).get(principal, claim_id))


@router.post(
    "/claims/{claim_id}/submit", response_model=ClaimDetailOut, responses=problems(*CLAIM_MOVE)
)
async def submit_claim(
    claim_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, params: ParametersDep
) -> ClaimDetailOut:
    """Submit a draft application for review."""
    return ClaimDetailOut.of(await ClaimService(session, params).submit(principal, claim_id))


@router.post(
    "/claims/{claim_id}/review",
    response_model=ClaimDetailOut,
    dependencies=[require_roles("reviewer")],
    responses=problems(*CLAIM_MOVE),
)
async def review_claim(
    claim_id: uuid.UUID,
    body: ReviewIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ParametersDep,
) -> ClaimDetailOut:
    """Approve, partially approve or reject (with a reason code); reviewers only.

    An approval reserves the grant in the budget: all of it, only the remainder under the cap
    (partially approved), or nothing (rejected, ``cap_exhausted``). Repeating a decision that
    already took effect changes nothing.
    """
    claim = await ClaimService(session, params).review(principal, claim_id, body.as_decision())
    return ClaimDetailOut.of(claim)


@router.post(
    "/claims/{claim_id}/disburse",
    response_model=ClaimDetailOut,
    dependencies=[require_roles("reviewer", "operator")],
    responses=problems(*CLAIM_MOVE),
)
async def disburse_claim(
    claim_id: uuid.UUID, body: DisburseIn, session: SessionDep, params: ParametersDep
) -> ClaimDetailOut:
    """Record the payment of a reserved grant; the budget commits it."""
    claim = await ClaimService(session, params).disburse(claim_id, body.payment_reference)
    return ClaimDetailOut.of(claim)


@router.post(
    "/claims/{claim_id}/reconcile",
    response_model=ClaimDetailOut,
    dependencies=[require_roles("reviewer", "operator")],
    responses=problems(*CLAIM_MOVE),
)
async def reconcile_claim(
    claim_id: uuid.UUID, session: SessionDep, params: ParametersDep
) -> ClaimDetailOut:
    """Mark a disbursed claim as matched with the bank statement."""
    return ClaimDetailOut.of(await ClaimService(session, params).reconcile(claim_id))


@router.post(
    "/claims/{claim_id}/cancel", response_model=ClaimDetailOut, responses=problems(*CLAIM_MOVE)
)
async def cancel_claim(
    claim_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, params: ParametersDep
) -> ClaimDetailOut:
    """Withdraw a claim before payment; a reservation is voided."""
    return ClaimDetailOut.of(await ClaimService(session, params).cancel(principal, claim_id))


@router.post(
    "/claims/{claim_id}/expire",
    response_model=ClaimDetailOut,
    dependencies=[require_roles("reviewer", "operator")],
    responses=problems(*CLAIM_MOVE),
)
async def expire_claim(
    claim_id: uuid.UUID, session: SessionDep, params: ParametersDep
) -> ClaimDetailOut:
    """Let a claim lapse before payment; a reservation is voided."""
    return ClaimDetailOut.of(await ClaimService(session, params).expire(claim_id))
