"""HTTP endpoints of agreements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.auth import require_roles
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.agreements.codec import agreement_value
from datapark_trading.agreements.models import AgreementRow
from datapark_trading.agreements.schemas import (
    AgreementOut,
    AgreementPage,
    AgreementState,
    EscrowOut,
    TerminateRequest,
)
from datapark_trading.agreements.service import AgreementService
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.settlement import ledger
from datapark_trading.settlement.repository import LedgerRepository

router = APIRouter(prefix="/v1/agreements", tags=["agreements"], route_class=UnitOfWorkRoute)


async def agreement_out(session: AsyncSession, row: AgreementRow) -> AgreementOut:
    value = agreement_value(row)
    repo = LedgerRepository(session)
    lock = await repo.lock_of(row.id)
    escrow = None
    if lock is not None:
        account = ledger.escrow(lock.id, lock.currency)
        remaining = (await repo.balances([account]))[account]
        escrow = EscrowOut(
            lock_id=lock.id,
            amount=f"{lock.amount:.2f}",
            currency=lock.currency,
            remaining=f"{remaining:.2f}",
            fee_rate=str(lock.fee_rate),
            status=lock.status,
            expires_at=lock.expires_at,
            close_reason=lock.close_reason,
        )
    return AgreementOut(
        id=row.id,
        listing_id=row.listing_id,
        product_id=row.product_id,
        provider_id=row.provider_id,
        consumer_id=row.consumer_id,
        terms=row.terms,
        origin=row.origin,
        origin_id=row.origin_id,
        status=value.status_at(datetime.now(UTC)).value,
        concluded_at=row.concluded_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        amends=row.amends,
        superseded_by=row.superseded_by,
        terminated_by=row.terminated_by,
        termination_reason=row.termination_reason,
        escrow=escrow,
    )


@router.get("", response_model=AgreementPage)
async def list_agreements(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    state: AgreementState | None = None,
    listing_id: uuid.UUID | None = None,
) -> AgreementPage:
    """The agreements the caller (or the member a partner acts for) is consumer or provider of;
    operators and auditors see all. Oldest first; `state` is a status, or `running` for
    pending or active."""
    rows, next_cursor = await AgreementService(session).page(
        actor, cursor, limit, status=state, listing_id=listing_id, at=datetime.now(UTC)
    )
    return AgreementPage(
        items=[await agreement_out(session, row) for row in rows], next_cursor=next_cursor
    )


@router.get("/{agreement_id}", response_model=AgreementOut)
async def get_agreement(
    agreement_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> AgreementOut:
    """One agreement with its usage policy and escrow; only its parties (or a partner acting
    for one, operators, auditors) see it."""
    row = await AgreementService(session).get(actor, agreement_id)
    return await agreement_out(session, row)


@router.post(
    "/{agreement_id}/terminate",
    response_model=AgreementOut,
    dependencies=[require_roles("participant", "partner")],
)
async def terminate_agreement(
    agreement_id: uuid.UUID, body: TerminateRequest, session: SessionDep, actor: CurrentActor
) -> AgreementOut:
    """Either side ends a running agreement, saying why: deliveries end, grants are revoked,
    what escrow still holds goes back to the buyer."""
    row = await AgreementService(session).terminate(
        actor, agreement_id, body.reason, datetime.now(UTC)
    )
    return await agreement_out(session, row)
