"""HTTP endpoints of agreements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
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
from datapark_trading.settlement.models import EscrowLockRow
from datapark_trading.settlement.repository import LedgerRepository

router = APIRouter(prefix="/v1/agreements", tags=["agreements"], route_class=UnitOfWorkRoute)


def agreement_view(
    row: AgreementRow, escrow: tuple[EscrowLockRow, Decimal] | None, now: datetime
) -> AgreementOut:
    """One agreement as the API shows it, with its escrow lock and what the lock still holds."""
    value = agreement_value(row)
    escrow_out = None
    if escrow is not None:
        lock, remaining = escrow
        escrow_out = EscrowOut(
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
        status=value.status_at(now).value,
        concluded_at=row.concluded_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        amends=row.amends,
        superseded_by=row.superseded_by,
        terminated_by=row.terminated_by,
        termination_reason=row.termination_reason,
        escrow=escrow_out,
    )


async def agreements_out(session: AsyncSession, rows: Sequence[AgreementRow]) -> list[AgreementOut]:
    """A page of agreements in one pass: the escrow view of every row comes from one query."""
    escrows = await LedgerRepository(session).escrows_of([row.id for row in rows])
    now = datetime.now(UTC)
    return [agreement_view(row, escrows.get(row.id), now) for row in rows]


async def agreement_out(session: AsyncSession, row: AgreementRow) -> AgreementOut:
    """One agreement with its escrow view (the single-row case of ``agreements_out``)."""
    return (await agreements_out(session, [row]))[0]


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
    return AgreementPage(items=await agreements_out(session, rows), next_cursor=next_cursor)


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
