"""The participant projection that trading, rental and subsidy each keep from catalog's topic.

One table shape and one handler serve the three services, each in its own schema. An event
older than what the row holds (lower ``aggseq``) is ignored, so redelivery and replays never
move a projection backwards.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import (
    ParticipantApproved,
    ParticipantRegistered,
    ParticipantSnapshot,
    ParticipantSuspended,
    ParticipantUpdated,
)
from datapark_eventing.consumer import Handler

PARTICIPANT_EVENTS: tuple[type[ParticipantSnapshot], ...] = (
    ParticipantRegistered,
    ParticipantUpdated,
    ParticipantApproved,
    ParticipantSuspended,
)


def participant_projection_table(metadata: MetaData) -> Table:
    return Table(
        "participants",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("uscc", String(18), nullable=True),
        Column("region_code", String(6), nullable=False),
        Column("operating_region_code", String(6), nullable=True),
        Column("roles", ARRAY(Text), nullable=False),
        Column("park_member", Boolean, nullable=False),
        Column("group_id", String(100), nullable=True),
        Column("status", String(20), nullable=False),
        Column("aggseq", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def participant_handler(table: Table) -> Handler:
    async def project(
        session: AsyncSession, envelope: Envelope, payload: ParticipantSnapshot
    ) -> None:
        values = {
            "name": payload.name,
            "kind": payload.kind,
            "uscc": payload.uscc,
            "region_code": payload.region_code,
            "operating_region_code": payload.operating_region_code,
            "roles": list(payload.roles),
            "park_member": payload.park_member,
            "group_id": payload.group_id,
            "status": payload.status,
            "aggseq": envelope.aggseq,
            "updated_at": payload.occurred_at,
        }
        stmt = insert(table).values(id=payload.participant_id, **values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.id],
                set_=values,
                where=table.c.aggseq < stmt.excluded.aggseq,
            )
        )

    return project


def participant_handlers(table: Table) -> dict[str, Handler]:
    handler = participant_handler(table)
    return {event.event_type: handler for event in PARTICIPANT_EVENTS}
