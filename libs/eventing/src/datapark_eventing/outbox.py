"""The transactional outbox: an event row commits with the state change, or neither does.

``Outbox.append`` runs inside the caller's unit of work. It extends the aggregate's hash
chain under a row lock (so two writers of one aggregate serialise and ``aggseq`` stays
gapless), stores the sealed envelope with the caller's trace context, and NOTIFYs the relay
(delivered by Postgres only when the transaction commits). Two statements per event: the
head's upsert-and-lock, then one statement that inserts the row, advances the head and
notifies.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_eventing.tables import EventingTables
from datapark_kit.telemetry import current_traceparent


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


class Outbox:
    """Appends events of one service (``source`` = ``/datapark/<service>``)."""

    def __init__(self, tables: EventingTables, service: str) -> None:
        self.tables = tables
        self.source = f"/datapark/{service}"
        self.channel = notify_channel(tables.schema)

    async def append(
        self, session: AsyncSession, payload: EventPayload, *, occurred_at: datetime | None = None
    ) -> Envelope:
        heads = self.tables.chain_heads
        aggregate_id = payload.aggregate_id()
        # One round trip takes the head under a row lock, creating it at genesis if new (the
        # no-op DO UPDATE is what locks an existing row and makes RETURNING report it).
        new_head = insert(heads).values(
            aggregate_id=aggregate_id,
            aggregate_type=payload.aggregate,
            last_seq=0,
            last_hash=GENESIS_HASH,
        )
        head = (
            await session.execute(
                new_head.on_conflict_do_update(
                    index_elements=[heads.c.aggregate_id],
                    set_={"last_seq": heads.c.last_seq},
                ).returning(heads.c.last_seq, heads.c.last_hash)
            )
        ).one()
        trace = current_traceparent()
        envelope = Envelope(
            id=uuid7(),
            source=self.source,
            type=payload.event_type,
            subject=aggregate_id,
            time=occurred_at or datetime.now(UTC),
            data=payload.to_data(),
            aggseq=head.last_seq + 1,
            prevhash=head.last_hash,
            traceparent=trace.get("traceparent"),
            tracestate=trace.get("tracestate"),
        ).sealed()
        # A second round trip stores the event, advances the head and NOTIFYs the relay
        # (data-modifying CTEs always run; Postgres delivers the NOTIFY on commit, once).
        stored = (
            self.tables.outbox.insert()
            .values(
                id=envelope.id,
                topic=payload.topic,
                event_type=envelope.type,
                source=envelope.source,
                subject=envelope.subject,
                event_time=envelope.time,
                payload=envelope.value().decode(),
                aggseq=envelope.aggseq,
                prevhash=envelope.prevhash,
                eventhash=envelope.eventhash,
                dataschema=envelope.dataschema,
                traceparent=envelope.traceparent,
                tracestate=envelope.tracestate,
            )
            .cte("stored")
        )
        advanced = (
            update(heads)
            .where(heads.c.aggregate_id == aggregate_id)
            .values(last_seq=envelope.aggseq, last_hash=envelope.eventhash)
            .cte("advanced")
        )
        await session.execute(
            select(func.pg_notify(self.channel, "")).add_cte(stored).add_cte(advanced)
        )
        return envelope
