"""Use cases of participants: register, update, approve, suspend; each publishes its fact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.participants.models import Participant
from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.participants.schemas import ParticipantCreate, ParticipantUpdate
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.tables import OUTBOX
from datapark_contracts.events.participants import (
    ParticipantApproved,
    ParticipantRegistered,
    ParticipantSnapshot,
    ParticipantSuspended,
    ParticipantUpdated,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, InvalidState, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page


def _snapshot(
    p: Participant, event: type[ParticipantSnapshot], **extra: str
) -> ParticipantSnapshot:
    return event(
        participant_id=p.id,
        name=p.name,
        uscc=p.uscc,
        kind=p.kind,
        region_code=p.region_code,
        operating_region_code=p.operating_region_code,
        roles=tuple(p.roles),
        park_member=p.park_member,
        group_id=p.group_code,  # the payload's name for it (catalog.participants.v1)
        status=p.status,
        occurred_at=p.updated_at,
        **extra,
    )


OPERATOR_ONLY_FIELDS = frozenset({"operating_region_code", "park_member", "group_code"})


class ParticipantService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = ParticipantRepository(session)

    async def register(self, data: ParticipantCreate) -> Participant:
        if data.kind == "company" and data.uscc is None:
            raise Unprocessable("a company needs its uscc", field="uscc")
        if data.uscc is not None and await self.repo.by_uscc(data.uscc) is not None:
            raise Conflict(
                "a participant with this uscc is already registered",
                code=CatalogProblem.DUPLICATE_USCC,
            )
        now = datetime.now(UTC)
        participant = Participant(
            id=uuid7(),
            name=data.name,
            kind=data.kind,
            uscc=data.uscc,
            region_code=data.region_code,
            operating_region_code=data.operating_region_code,
            roles=sorted(set(data.roles)),
            park_member=data.park_member,
            group_code=data.group_code,
            contact_email=data.contact_email,
            status="pending",
            version=1,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.session.begin_nested():
                await self.repo.add(participant)
        except IntegrityError:
            raise Conflict(
                "a participant with this uscc is already registered",
                code=CatalogProblem.DUPLICATE_USCC,
            ) from None
        await OUTBOX.append(
            self.session, _snapshot(participant, ParticipantRegistered), occurred_at=now
        )
        return participant

    async def get(self, principal: Principal, participant_id: uuid.UUID) -> Participant:
        participant = await self.repo.get(participant_id)
        if participant is None or not principal.may_access(participant.id):
            raise NotFound("participant not found")
        return participant

    async def page(
        self, principal: Principal, cursor: str | None, limit: int
    ) -> tuple[list[Participant], str | None]:
        after = cursor_id(cursor)
        only = None if principal.sees_all_tenants else principal.participant_id
        rows = await self.repo.page(after=after, limit=limit + 1, only=only)
        return keyset_page(rows, limit, key=lambda p: p.id)

    async def update(
        self, principal: Principal, participant_id: uuid.UUID, data: ParticipantUpdate
    ) -> Participant:
        participant = await self._for_change(principal, participant_id)
        changes = data.model_dump(exclude_unset=True)
        # Region, group and park membership feed subsidy eligibility and lessors' concentration
        # limits: only the park operator records them.
        restricted = sorted(set(changes) & OPERATOR_ONLY_FIELDS)
        if restricted and not principal.has("operator"):
            raise Forbidden(
                f"only an operator may change: {', '.join(restricted)}",
                code=CatalogProblem.OPERATOR_ONLY_FIELD,
            )
        for name, value in changes.items():
            setattr(participant, name, value)
        return await self._publish(participant, ParticipantUpdated)

    async def approve(self, participant_id: uuid.UUID) -> Participant:
        participant = await self._locked(participant_id)
        if participant.status == "active":
            raise InvalidState(
                "participant", participant.status, "approve", "participant is already active"
            )
        participant.status = "active"
        return await self._publish(participant, ParticipantApproved)

    async def suspend(self, participant_id: uuid.UUID, reason: str) -> Participant:
        participant = await self._locked(participant_id)
        if participant.status == "suspended":
            raise InvalidState(
                "participant", participant.status, "suspend", "participant is already suspended"
            )
        participant.status = "suspended"
        return await self._publish(participant, ParticipantSuspended, reason=reason)

    async def _locked(self, participant_id: uuid.UUID) -> Participant:
        participant = await self.repo.get(participant_id, for_update=True)
        if participant is None:
            raise NotFound("participant not found")
        return participant

    async def _for_change(self, principal: Principal, participant_id: uuid.UUID) -> Participant:
        participant = await self.repo.get(participant_id, for_update=True)
        if participant is None or not (
            principal.has("operator") or participant.id == principal.participant_id
        ):
            raise NotFound("participant not found")
        return participant

    async def _publish(
        self, participant: Participant, event: type[ParticipantSnapshot], **extra: str
    ) -> Participant:
        participant.updated_at = datetime.now(UTC)
        participant.version += 1
        await self.session.flush()
        await OUTBOX.append(
            self.session, _snapshot(participant, event, **extra), occurred_at=participant.updated_at
        )
        return participant
