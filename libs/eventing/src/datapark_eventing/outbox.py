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

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_eventing.tables import EventingTables
from datapark_kit.telemetry import current_traceparent


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


def _qualified(table: Table) -> str:
    return f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'


class Outbox:
    """Appends events of one service (``source`` = ``/datapark/<service>``).

    Its two statements are built once, as constant SQL text: SQLAlchemy compiles each once per
    process and asyncpg prepares it once per connection. (The Core form they replace, a
    ``postgresql.insert(...).on_conflict_do_update(...)``, has no cache key, so SQLAlchemy
    compiled it again on every append; ``tests/integration/spine/test_spine_statement_cache.py``
    shows the cache hits.)
    """

    def __init__(self, tables: EventingTables, service: str) -> None:
        self.tables = tables
        self.source = f"/datapark/{service}"
        self.channel = notify_channel(tables.schema)
        heads, outbox = _qualified(tables.chain_heads), _qualified(tables.outbox)
        # One round trip takes the head under a row lock, creating it at genesis if new (the
        # no-op DO UPDATE is what locks an existing row and makes RETURNING report it).
        self._take_head = text(
            f"INSERT INTO {heads} (aggregate_id, aggregate_type, last_seq, last_hash) "  # noqa: S608 - our own tables
            "VALUES (:aggregate_id, :aggregate_type, 0, :genesis) "
            f"ON CONFLICT (aggregate_id) DO UPDATE SET last_seq = {heads}.last_seq "
            "RETURNING last_seq, last_hash"
        )
        # A second round trip stores the event, advances the head and NOTIFYs the relay
        # (data-modifying CTEs always run; Postgres delivers the NOTIFY on commit, once).
        self._store = text(
            f"WITH stored AS (INSERT INTO {outbox} (id, topic, event_type, source, subject, "  # noqa: S608
            "event_time, payload, aggseq, prevhash, eventhash, dataschema, traceparent, "
            "tracestate) VALUES (:id, :topic, :event_type, :source, :subject, :event_time, "
            ":payload, :aggseq, :prevhash, :eventhash, :dataschema, :traceparent, "
            f":tracestate)), advanced AS (UPDATE {heads} SET last_seq = :head_seq, "
            "last_hash = :head_hash WHERE aggregate_id = :aggregate_id) "
            "SELECT pg_notify(:channel, '')"
        )

    async def append(
        self, session: AsyncSession, payload: EventPayload, *, occurred_at: datetime | None = None
    ) -> Envelope:
        aggregate_id = payload.aggregate_id()
        head = (
            await session.execute(
                self._take_head,
                {
                    "aggregate_id": aggregate_id,
                    "aggregate_type": payload.aggregate,
                    "genesis": GENESIS_HASH,
                },
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
        await session.execute(
            self._store,
            {
                "id": envelope.id,
                "topic": payload.topic,
                "event_type": envelope.type,
                "source": envelope.source,
                "subject": envelope.subject,
                "event_time": envelope.time,
                "payload": envelope.value().decode(),
                "aggseq": envelope.aggseq,
                "prevhash": envelope.prevhash,
                "eventhash": envelope.eventhash,
                "dataschema": envelope.dataschema,
                "traceparent": envelope.traceparent,
                "tracestate": envelope.tracestate,
                "head_seq": envelope.aggseq,
                "head_hash": envelope.eventhash,
                "aggregate_id": aggregate_id,
                "channel": self.channel,
            },
        )
        return envelope
