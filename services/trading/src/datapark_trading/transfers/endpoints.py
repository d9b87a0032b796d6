"""HTTP endpoints of deliveries and metered use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from datapark_kit.auth import require_roles
from datapark_kit.idempotency import shown_once
from datapark_kit.openapi import KitCode, problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import TRANSFERS
from datapark_trading.transfers.metering import UsageReport
from datapark_trading.transfers.schemas import (
    ReasonBody,
    TransferCreate,
    TransferOut,
    TransferPage,
    TransferStart,
    UsageCreate,
    UsageOut,
)
from datapark_trading.transfers.service import TransferService
from datapark_trading.transfers.states import TransferState

router = APIRouter(
    prefix="/v1",
    tags=["transfers"],
    route_class=UnitOfWorkRoute,
    dependencies=[require_roles("participant", "partner")],
    responses=problems(*TRANSFERS, KitCode.NOT_FOUND),
)

# Reading (the list and one transfer): the parties (or a partner for a member), and whoever
# reads every tenant.
lists = APIRouter(
    prefix="/v1/transfers",
    tags=["transfers"],
    route_class=UnitOfWorkRoute,
    dependencies=[require_roles("participant", "partner", "operator", "auditor")],
    responses=problems(*TRANSFERS),
)


@router.post(
    "/agreements/{agreement_id}/transfers",
    status_code=status.HTTP_201_CREATED,
    response_model=TransferOut,
)
async def request_transfer(
    agreement_id: uuid.UUID,
    body: TransferCreate,
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
) -> TransferOut:
    """The consumer asks for delivery under a running agreement (→ REQUESTED)."""
    seconds = body.confirm_after_seconds or request.app.state.settings.confirm_after_seconds
    row = await TransferService(session).request(
        actor, agreement_id, timedelta(seconds=seconds), datetime.now(UTC)
    )
    return TransferOut.of(row)


@lists.get("", response_model=TransferPage)
async def list_transfers(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    state: TransferState | None = None,
) -> TransferPage:
    """The deliveries under agreements the caller (or the member a partner acts for) is
    consumer or provider of; operators and auditors see all. Oldest first; never the token."""
    rows, next_cursor = await TransferService(session).page(
        actor, cursor, limit, state=None if state is None else state.value
    )
    return TransferPage(items=[TransferOut.of(row) for row in rows], next_cursor=next_cursor)


@lists.get("/{transfer_id}", response_model=TransferOut)
async def get_transfer(
    transfer_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> TransferOut:
    """One delivery: its state, grant expiry, confirmation or termination (never the token)."""
    return TransferOut.of(await TransferService(session).get(actor, transfer_id))


@router.post("/transfers/{transfer_id}/start", response_model=TransferOut)
async def start_transfer(
    transfer_id: uuid.UUID,
    body: TransferStart,
    session: SessionDep,
    actor: CurrentActor,
    response: Response,
) -> TransferOut:
    """The provider starts delivery and issues the access grant (token, endpoint, expiry no
    later than the agreement's end). The token is in this answer only."""
    row, token = await TransferService(session).start(
        actor,
        transfer_id,
        body.endpoint,
        timedelta(seconds=body.grant_ttl_seconds),
        datetime.now(UTC),
    )
    shown_once(response)
    return TransferOut.of(row, token)


@router.post("/transfers/{transfer_id}/suspend", response_model=TransferOut)
async def suspend_transfer(
    transfer_id: uuid.UUID, body: ReasonBody, session: SessionDep, actor: CurrentActor
) -> TransferOut:
    """Either side pauses a running delivery (STARTED → SUSPENDED)."""
    return TransferOut.of(
        await TransferService(session).suspend(actor, transfer_id, body.reason, datetime.now(UTC))
    )


@router.post("/transfers/{transfer_id}/resume", response_model=TransferOut)
async def resume_transfer(
    transfer_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> TransferOut:
    """Continue a paused delivery (SUSPENDED → STARTED) while the agreement runs."""
    return TransferOut.of(
        await TransferService(session).resume(actor, transfer_id, datetime.now(UTC))
    )


@router.post("/transfers/{transfer_id}/confirm", response_model=TransferOut)
async def confirm_transfer(
    transfer_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> TransferOut:
    """The consumer confirms receipt (STARTED → COMPLETED); for a fixed or subscription price
    the escrow is released to the seller less the venue's fee, exactly once."""
    return TransferOut.of(
        await TransferService(session).confirm(actor, transfer_id, datetime.now(UTC))
    )


@router.post("/transfers/{transfer_id}/terminate", response_model=TransferOut)
async def terminate_transfer(
    transfer_id: uuid.UUID, body: ReasonBody, session: SessionDep, actor: CurrentActor
) -> TransferOut:
    """Either side ends a delivery; its access grant is revoked."""
    return TransferOut.of(
        await TransferService(session).terminate(actor, transfer_id, body.reason, datetime.now(UTC))
    )


@router.post("/usage", status_code=status.HTTP_201_CREATED, response_model=UsageOut)
async def record_usage(body: UsageCreate, session: SessionDep, actor: CurrentActor) -> UsageOut:
    """Count use of a delivery (calls, records, megabytes) for the purpose and region given.
    Use the policy does not permit is a 403; use past the agreed maximum, or more than the
    escrow still holds, is a 422 and nothing of it is counted. Metered charges are claimed
    from the escrow lock as they occur."""
    usage, meter = await TransferService(session).record_usage(
        actor,
        token=body.access_token,
        report=UsageReport(calls=body.calls, records=body.records, megabytes=body.megabytes),
        use=body.use,
        region=body.region,
        at=datetime.now(UTC),
    )
    return UsageOut.of(usage, meter)
