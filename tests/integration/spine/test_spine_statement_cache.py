"""The event path's statements are compiled once (#14): ``Outbox.append``'s two statements, the
consumer's inbox inserts and the participant projection's upsert hit SQLAlchemy's compiled
cache on every execution after their first. (The ``postgresql.insert(...).on_conflict_...``
constructs they replace have no cache key: SQLAlchemy compiled them again on every append,
every record and every projected event.)"""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import MetaData, select
from support.eventing_schema import participant_registered
from support.statement_cache import assert_compiled_once, cache_outcomes

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.outbox import Outbox
from datapark_eventing.projections import ParticipantProjection, participant_projection_table


def _registered(pid: uuid.UUID, n: int) -> ParticipantRegistered:
    return participant_registered(pid, f"Statement Cache {n}")


async def test_outbox_append_compiles_its_statements_once(spine_schema) -> None:
    database, tables, _ = spine_schema
    outbox = Outbox(tables, "spinetest")
    first, second = uuid.uuid4(), uuid.uuid4()
    with cache_outcomes(database) as seen:
        for n, pid in enumerate((first, first, second, first)):
            async with database.unit_of_work() as session:
                envelope = await outbox.append(session, _registered(pid, n))
    assert envelope.aggseq == 3  # the chain still advances per aggregate
    assert_compiled_once(seen, "ON CONFLICT (aggregate_id)", 4)
    assert_compiled_once(seen, "WITH stored AS", 4)


async def test_the_consumers_inbox_insert_compiles_once(spine_schema) -> None:
    database, tables, _ = spine_schema
    applied: list[uuid.UUID] = []

    async def handler(session: Any, envelope: Envelope, payload: Any) -> None:
        applied.append(envelope.id)

    consumer = EventConsumer(
        group_id=f"test-cache-{uuid.uuid4().hex[:8]}",
        topics=("unused",),
        bootstrap="127.0.0.1:1",  # never connected: records are handed over directly
        database=database,
        inbox=tables.inbox,
        handlers={ParticipantRegistered.event_type: handler},
    )
    outbox = Outbox(tables, "spinetest")
    envelopes = []
    for n in range(3):
        async with database.unit_of_work() as session:
            envelopes.append(await outbox.append(session, _registered(uuid.uuid4(), n)))
    with cache_outcomes(database) as seen:
        for offset, envelope in enumerate([*envelopes, envelopes[0]]):
            record = ConsumerRecord(
                topic="unused",
                partition=0,
                offset=offset,
                timestamp=0,
                timestamp_type=0,
                key=envelope.key,
                value=envelope.value(),
                checksum=None,
                serialized_key_size=0,
                serialized_value_size=0,
                headers=tuple(envelope.headers()),
            )
            await consumer.process(record, producer=None)  # type: ignore[arg-type]
    assert applied == [e.id for e in envelopes]  # the repeated one was recognised
    assert_compiled_once(seen, "VALUES (", 4)


async def test_the_participant_projection_compiles_its_upsert_once(spine_schema) -> None:
    database, tables, _ = spine_schema
    table = participant_projection_table(MetaData(schema=tables.schema))
    async with database.engine.begin() as connection:
        await connection.run_sync(table.create)
    first, second = uuid.uuid4(), uuid.uuid4()
    with cache_outcomes(database) as seen:
        for aggseq, pid in ((1, first), (1, second), (3, first), (2, first)):
            async with database.unit_of_work() as session:
                projection = ParticipantProjection(session, table)
                await projection.apply(_registered(pid, aggseq), aggseq=aggseq)
    assert_compiled_once(seen, f"INSERT INTO {tables.schema}.participants ", 4)
    async with database.unit_of_work() as session:
        rows = {row.id: row for row in await session.execute(select(table))}
    # the newer event won, the older one after it changed nothing
    assert (rows[first].aggseq, rows[first].name) == (3, "Statement Cache 3")
    assert (rows[second].aggseq, rows[second].name) == (1, "Statement Cache 1")
