"""The event path's statements are compiled once (#14): ``Outbox.append``'s two statements and
the consumer's inbox inserts hit SQLAlchemy's compiled cache on every execution after their
first. (The ``postgresql.insert(...).on_conflict_...`` constructs they replace have no cache
key: SQLAlchemy compiled them again on every append and every record.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from support.eventing_schema import participant_registered

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.consumer import EventConsumer
from datapark_eventing.outbox import Outbox
from datapark_kit.db import Database

HIT, MISS = CacheStats.CACHE_HIT, CacheStats.CACHE_MISS


@contextmanager
def cache_outcomes(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine runs meanwhile, with its compiled cache's outcome."""
    seen: list[tuple[str, Any]] = []

    def before(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        seen.append((statement, context.cache_hit))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _registered(pid: uuid.UUID, n: int) -> ParticipantRegistered:
    return participant_registered(pid, f"Statement Cache {n}")


def _assert_compiled_once(seen: list[tuple[str, Any]], fragment: str, runs: int) -> None:
    outcomes = [hit for statement, hit in seen if fragment in statement]
    assert len(outcomes) == runs, (fragment, outcomes)
    # the first run may compile (a miss) or find it compiled by an earlier test; never again
    assert outcomes[0] in (HIT, MISS), (fragment, outcomes[0])
    assert outcomes[1:] == [HIT] * (runs - 1), (fragment, outcomes)


async def test_outbox_append_compiles_its_statements_once(spine_schema) -> None:
    database, tables, _ = spine_schema
    outbox = Outbox(tables, "spinetest")
    first, second = uuid.uuid4(), uuid.uuid4()
    with cache_outcomes(database) as seen:
        for n, pid in enumerate((first, first, second, first)):
            async with database.unit_of_work() as session:
                envelope = await outbox.append(session, _registered(pid, n))
    assert envelope.aggseq == 3  # the chain still advances per aggregate
    _assert_compiled_once(seen, "ON CONFLICT (aggregate_id)", 4)
    _assert_compiled_once(seen, "WITH stored AS", 4)


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
    _assert_compiled_once(seen, "VALUES (", 4)
