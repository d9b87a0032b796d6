"""Events of catalog's participants (topic ``catalog.participants.v1``, key = participant id)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from datapark_contracts.payloads import EventPayload, event
from datapark_contracts.topics import CATALOG_PARTICIPANTS

Role = Literal["operator", "partner", "participant", "customer", "reviewer", "auditor"]
ParticipantStatus = Literal["pending", "active", "suspended"]


class ParticipantSnapshot(EventPayload):
    """The whole participant as it stands after the change: enough to build a projection."""

    participant_id: uuid.UUID
    name: str
    uscc: str | None = Field(description="Unified Social Credit Code; None for a person")
    kind: Literal["company", "person"]
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="registered region (division code)")
    operating_region_code: str | None = None
    roles: tuple[Role, ...]
    park_member: bool
    group_id: str | None = Field(
        default=None, description="corporate group, for concentration limits"
    )
    status: ParticipantStatus
    occurred_at: datetime


@event(
    "datapark.catalog.participant.registered.v1",
    topic=CATALOG_PARTICIPANTS,
    aggregate="participant",
)
class ParticipantRegistered(ParticipantSnapshot):
    """A company or person became known to the park."""


@event(
    "datapark.catalog.participant.updated.v1", topic=CATALOG_PARTICIPANTS, aggregate="participant"
)
class ParticipantUpdated(ParticipantSnapshot):
    """A participant's profile changed."""


@event(
    "datapark.catalog.participant.approved.v1", topic=CATALOG_PARTICIPANTS, aggregate="participant"
)
class ParticipantApproved(ParticipantSnapshot):
    """An operator approved the participant: it may now list and trade."""


@event(
    "datapark.catalog.participant.suspended.v1", topic=CATALOG_PARTICIPANTS, aggregate="participant"
)
class ParticipantSuspended(ParticipantSnapshot):
    """An operator suspended the participant: it can no longer list or trade."""

    reason: str
