"""HTTP endpoints of negotiations (Dataspace Protocol moves)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.negotiations.schemas import (
    ApproveRequest,
    CounterRequest,
    NegotiationCreate,
    NegotiationOut,
    NegotiationPage,
    TerminateNegotiation,
)
from datapark_trading.negotiations.service import NegotiationService
from datapark_trading.negotiations.states import Action, NegotiationState
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import NEGOTIATIONS

router = APIRouter(
    prefix="/v1/negotiations",
    tags=["negotiations"],
    route_class=UnitOfWorkRoute,
    dependencies=[require_roles("participant", "partner", "operator", "auditor")],
    responses=problems(*NEGOTIATIONS),
)
TRADERS = [require_roles("participant", "partner")]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=NegotiationOut, dependencies=TRADERS
)
async def open_negotiation(
    body: NegotiationCreate, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """A consumer requests terms for a listed product (→ REQUESTED), or its provider offers
    terms to a consumer (→ OFFERED). Every step has a response deadline; an unanswered
    negotiation expires with a recorded reason."""
    return NegotiationOut.of(await NegotiationService(session).open(actor, body))


@router.get("", response_model=NegotiationPage)
async def list_negotiations(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    state: NegotiationState | None = None,
) -> NegotiationPage:
    """The negotiations the caller (or the member a partner acts for) is consumer or provider
    of; operators and auditors see all. Oldest first, each with every round of terms."""
    found, next_cursor = await NegotiationService(session).page(
        actor, cursor, limit, state=None if state is None else state.value
    )
    return NegotiationPage(items=[NegotiationOut.of(f) for f in found], next_cursor=next_cursor)


@router.get("/{negotiation_id}", response_model=NegotiationOut)
async def get_negotiation(
    negotiation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """One negotiation with every round of terms and what it is waiting for."""
    return NegotiationOut.of(await NegotiationService(session).get(actor, negotiation_id))


@router.post("/{negotiation_id}/offers", response_model=NegotiationOut, dependencies=TRADERS)
async def counter(
    negotiation_id: uuid.UUID, body: CounterRequest, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """New terms: the provider's counter-offer (REQUESTED → OFFERED) or the consumer's
    counter-request (OFFERED → REQUESTED)."""
    return NegotiationOut.of(
        await NegotiationService(session).counter(actor, negotiation_id, body.terms.to_wire())
    )


@router.post("/{negotiation_id}/accept", response_model=NegotiationOut, dependencies=TRADERS)
async def accept(
    negotiation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """The consumer accepts the provider's offer (OFFERED → ACCEPTED)."""
    return NegotiationOut.of(
        await NegotiationService(session).move(actor, negotiation_id, Action.ACCEPT)
    )


@router.post("/{negotiation_id}/approve", response_model=NegotiationOut, dependencies=TRADERS)
async def approve(
    negotiation_id: uuid.UUID, body: ApproveRequest, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """A person on the provider's side approves the current round (when approval is required)."""
    return NegotiationOut.of(
        await NegotiationService(session).move(
            actor, negotiation_id, Action.APPROVE, approver=body.approver
        )
    )


@router.post("/{negotiation_id}/agree", response_model=NegotiationOut, dependencies=TRADERS)
async def agree(
    negotiation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """The provider agrees (REQUESTED | ACCEPTED → AGREED)."""
    return NegotiationOut.of(
        await NegotiationService(session).move(actor, negotiation_id, Action.AGREE)
    )


@router.post("/{negotiation_id}/verify", response_model=NegotiationOut, dependencies=TRADERS)
async def verify(
    negotiation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """The consumer verifies the agreement (AGREED → VERIFIED)."""
    return NegotiationOut.of(
        await NegotiationService(session).move(actor, negotiation_id, Action.VERIFY)
    )


@router.post("/{negotiation_id}/finalize", response_model=NegotiationOut, dependencies=TRADERS)
async def finalize(
    negotiation_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """The provider finalizes (VERIFIED → FINALIZED): the agreement is concluded and the price
    locked in escrow (422 if the consumer's funds are short; nothing changes then)."""
    return NegotiationOut.of(
        await NegotiationService(session).move(actor, negotiation_id, Action.FINALIZE)
    )


@router.post("/{negotiation_id}/terminate", response_model=NegotiationOut, dependencies=TRADERS)
async def terminate(
    negotiation_id: uuid.UUID, body: TerminateNegotiation, session: SessionDep, actor: CurrentActor
) -> NegotiationOut:
    """Either side ends a negotiation that is not final, saying why."""
    return NegotiationOut.of(
        await NegotiationService(session).move(
            actor, negotiation_id, Action.TERMINATE, reason=body.reason
        )
    )
