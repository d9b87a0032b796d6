"""HTTP endpoints of participants."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_catalog.participants.schemas import (
    ParticipantCreate,
    ParticipantOut,
    ParticipantPage,
    ParticipantUpdate,
    SuspendRequest,
)
from datapark_catalog.participants.service import ParticipantService
from datapark_catalog.problems import PARTICIPANTS
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    prefix="/v1/participants",
    tags=["participants"],
    route_class=UnitOfWorkRoute,
    responses=problems(*PARTICIPANTS),
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ParticipantOut,
    dependencies=[require_roles("operator")],
)
async def register_participant(body: ParticipantCreate, session: SessionDep) -> ParticipantOut:
    """Register a company (validated USCC) or a person; publishes `participant.registered`."""
    participant = await ParticipantService(session).register(body)
    return ParticipantOut.model_validate(participant)


@router.get("", response_model=ParticipantPage)
async def list_participants(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ParticipantPage:
    """Participants visible to the caller (operators and auditors see all), oldest first."""
    items, next_cursor = await ParticipantService(session).page(principal, cursor, limit)
    return ParticipantPage(
        items=[ParticipantOut.model_validate(p) for p in items], next_cursor=next_cursor
    )


@router.get("/{participant_id}", response_model=ParticipantOut)
async def get_participant(
    participant_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ParticipantOut:
    """One participant; another tenant's participant is a 404."""
    return ParticipantOut.model_validate(
        await ParticipantService(session).get(principal, participant_id)
    )


@router.patch("/{participant_id}", response_model=ParticipantOut)
async def update_participant(
    participant_id: uuid.UUID,
    body: ParticipantUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ParticipantOut:
    """Change the profile (the participant itself or an operator)."""
    return ParticipantOut.model_validate(
        await ParticipantService(session).update(principal, participant_id, body)
    )


@router.post(
    "/{participant_id}/approve",
    response_model=ParticipantOut,
    dependencies=[require_roles("operator")],
)
async def approve_participant(participant_id: uuid.UUID, session: SessionDep) -> ParticipantOut:
    """An operator admits the participant: it may list and trade."""
    return ParticipantOut.model_validate(await ParticipantService(session).approve(participant_id))


@router.post(
    "/{participant_id}/suspend",
    response_model=ParticipantOut,
    dependencies=[require_roles("operator")],
)
async def suspend_participant(
    participant_id: uuid.UUID, body: SuspendRequest, session: SessionDep
) -> ParticipantOut:
    """An operator suspends the participant: it can no longer list or trade."""
    return ParticipantOut.model_validate(
        await ParticipantService(session).suspend(participant_id, body.reason)
    )
