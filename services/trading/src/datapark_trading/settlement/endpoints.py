"""HTTP endpoints of accounts: balances derived from the ledger, and deposits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, status

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import ACCOUNTS
from datapark_trading.settlement.schemas import AccountOut, DepositCreate
from datapark_trading.settlement.service import SettlementService
from datapark_trading.terms.money import Money

router = APIRouter(
    prefix="/v1/accounts",
    tags=["accounts"],
    route_class=UnitOfWorkRoute,
    responses=problems(*ACCOUNTS),
)


@router.get("/{participant_id}", response_model=AccountOut)
async def get_account(
    participant_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> AccountOut:
    """A participant's money at the venue, every figure summed from the ledger's entries."""
    return AccountOut.of(await SettlementService(session).account(actor, participant_id))


@router.post(
    "/{participant_id}/deposits",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountOut,
    dependencies=[require_roles("operator")],
)
async def deposit(
    participant_id: uuid.UUID, body: DepositCreate, session: SessionDep
) -> AccountOut:
    """An operator books funds received for a participant (honours `Idempotency-Key`)."""
    account = await SettlementService(session).deposit(
        participant_id, Money(body.amount, body.currency), datetime.now(UTC)
    )
    return AccountOut.of(account)
