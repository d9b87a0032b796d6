"""Who may see and change what: owners edit, another tenant's object is a 404, operators see
everything and review, and only an active participant may list or offer."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.problems import CatalogProblem
from datapark_kit.auth import Principal
from datapark_kit.errors import Forbidden


def ensure_visible(principal: Principal, owner_id: uuid.UUID, what: str) -> None:
    """404 for another tenant's object (operators and auditors see all)."""
    principal.ensure_tenant(owner_id, what)


def ensure_owner(principal: Principal, owner_id: uuid.UUID, what: str) -> None:
    """Only the owner changes its object: others get a 404, an operator who may see it a 403."""
    if owner_id == principal.participant_id:
        return
    ensure_visible(principal, owner_id, what)
    raise Forbidden(f"only the owner may change this {what}", code=CatalogProblem.OWNER_ONLY)


async def ensure_active_participant(session: AsyncSession, participant_id: uuid.UUID) -> None:
    """A suspended (or not yet approved) participant can neither list nor offer."""
    participant = await ParticipantRepository(session).get(participant_id)
    status = participant.status if participant is not None else "unknown"
    if status != "active":
        raise Forbidden(
            f"a participant in status '{status}' cannot list or offer",
            code=CatalogProblem.PARTICIPANT_NOT_ACTIVE,
            participant_status=status,
        )
