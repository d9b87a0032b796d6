"""The participant projection that trading, rental and subsidy each keep from catalog's topic.

One table shape serves the three services, each in its own schema. The projection is a typed
subscription (``participant_subscriptions(table)``: the four participant events, one call of
``ParticipantProjection.apply`` each), or, where a service does more when a participant
changes, its own subscription calls a service that applies the projection first. An event
older than what the row holds (lower ``aggseq``) is ignored, so redelivery and replays never
move a projection backwards. A payload the table cannot hold (a value too long, a constraint
it breaks) is a ``PoisonEvent``: dead-lettered at once, as it would fail the same way every
time; a database that is down is transient (retried while it lasts, see
``datapark_eventing.consumer.is_transient``).
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
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import (
    ParticipantApproved,
    ParticipantRegistered,
    ParticipantSnapshot,
    ParticipantSuspended,
    ParticipantUpdated,
)
from datapark_eventing.consumer import PoisonEvent
from datapark_eventing.subscriptions import Subscriptions
from datapark_kit.db import newer_row_upsert

_PROJECTED = (
    "name",
    "kind",
    "uscc",
    "region_code",
    "operating_region_code",
    "roles",
    "park_member",
    "group_id",
    "status",
    "aggseq",
    "updated_at",
)

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


class ParticipantProjection:
    """A service's copy of catalog's participants, kept in ``table`` (its own schema)."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self.session = session
        self.table = table

    async def apply(self, payload: ParticipantSnapshot, *, aggseq: int) -> None:
        """Upsert the participant unless the row already holds a newer event (``aggseq``).

        One constant statement per table, compiled once per process (``newer_row_upsert``):
        the ``postgresql.insert(...).on_conflict_do_update(...)`` it replaces was built and
        compiled again for every event, ~0.44 ms of CPU against ~0.09 ms to run it (#14).
        """
        params = {
            "id": payload.participant_id,
            "name": payload.name,
            "kind": payload.kind,
            "uscc": payload.uscc,
            "region_code": payload.region_code,
            "operating_region_code": payload.operating_region_code,
            "roles": list(payload.roles),
            "park_member": payload.park_member,
            "group_id": payload.group_id,
            "status": payload.status,
            "aggseq": aggseq,
            "updated_at": payload.occurred_at,
        }
        try:
            await self.session.execute(newer_row_upsert(self.table, _PROJECTED), params)
        except (sa_exc.DataError, sa_exc.IntegrityError) as refused:
            raise PoisonEvent(
                f"participant {payload.participant_id} does not fit the projection: "
                f"{type(refused.orig).__name__}"
            ) from refused


def participant_subscriptions(table: Table) -> Subscriptions:
    """The participant events projected into ``table``, one typed handler for the four."""
    subscriptions = Subscriptions()

    @subscriptions.subscribe(*PARTICIPANT_EVENTS)
    async def project_participant(
        session: AsyncSession, envelope: Envelope, payload: ParticipantSnapshot
    ) -> None:
        await ParticipantProjection(session, table).apply(payload, aggseq=envelope.aggseq)

    return subscriptions
