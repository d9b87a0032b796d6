"""HTTP endpoints of agreements."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.contracting.schemas import (
    AgreementOut,
    AgreementPage,
    AgreementState,
    TerminateRequest,
)
from datapark_trading.contracting.service import AgreementService
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import AGREEMENTS

router = APIRouter(
    prefix="/v1/agreements",
    tags=["agreements"],
    route_class=UnitOfWorkRoute,
    responses=problems(*AGREEMENTS),
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
    views, next_cursor = await AgreementService(session).page_views(
        actor, cursor, limit, status=state, listing_id=listing_id
    )
    return AgreementPage(items=[AgreementOut.of(v) for v in views], next_cursor=next_cursor)


@router.get("/{agreement_id}", response_model=AgreementOut)
async def get_agreement(
    agreement_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> AgreementOut:
    """One agreement with its usage policy and escrow; only its parties (or a partner acting
    for one, operators, auditors) see it."""
    return AgreementOut.of(await AgreementService(session).view(actor, agreement_id))


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
    view = await AgreementService(session).terminate(
        actor, agreement_id, body.reason, datetime.now(UTC)
    )
    return AgreementOut.of(view)
