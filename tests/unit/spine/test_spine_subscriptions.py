"""Typed subscriptions: one handler per event type, refusals are poison, poison is not retried."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka.errors import CommitFailedError
from sqlalchemy import MetaData

from datapark_contracts.events import catalog_listings as catalog
from datapark_eventing.consumer import EventConsumer, PoisonEvent
from datapark_eventing.subscriptions import Subscriptions
from datapark_eventing.tables import eventing_tables
from datapark_kit.errors import Unprocessable


async def _unit(session: Any, envelope: Any, payload: catalog.RobotUnitSnapshot) -> None:
    return None


def test_subscribe_registers_the_handler_under_each_event_type() -> None:
    subscriptions = Subscriptions()
    subscriptions.subscribe(catalog.RobotUnitRegistered, catalog.RobotUnitChanged)(_unit)
    assert set(subscriptions.handlers()) == {
        catalog.RobotUnitRegistered.event_type,
        catalog.RobotUnitChanged.event_type,
    }


def test_a_second_handler_for_one_event_type_is_refused() -> None:
    subscriptions = Subscriptions()
    subscriptions.subscribe(catalog.RobotUnitRegistered)(_unit)
    with pytest.raises(ValueError, match="already has a handler"):
        subscriptions.subscribe(catalog.RobotUnitRegistered)(_unit)
    with pytest.raises(ValueError, match="already has a handler"):
        subscriptions.include({catalog.RobotUnitRegistered.event_type: _unit})


async def test_a_refusal_from_a_handler_is_a_poison_event() -> None:
    subscriptions = Subscriptions()

    @subscriptions.subscribe(catalog.RobotUnitRegistered)
    async def refuse(session: Any, envelope: Any, payload: catalog.RobotUnitSnapshot) -> None:
        raise Unprocessable("no such unit", field="unit_id")

    handler = subscriptions.handlers()[catalog.RobotUnitRegistered.event_type]
    with pytest.raises(PoisonEvent, match="Unprocessable"):
        await handler(None, None, None)  # type: ignore[arg-type]


def _consumer() -> EventConsumer:
    """A consumer with no Kafka or database behind it (the parts under test are replaced)."""
    return EventConsumer(
        group_id="test",
        topics=("t",),
        bootstrap=None,  # type: ignore[arg-type]
        database=None,  # type: ignore[arg-type]
        inbox=eventing_tables(MetaData(schema="s")).inbox,
        handlers={},
        poison_attempts=3,
    )


class _Record:
    topic, partition, offset, key, value, headers = "t", 0, 7, b"k", b"v", ()


class _Envelope:
    type = "datapark.test.thing.happened.v1"


async def test_the_consumer_dead_letters_a_poison_event_without_retrying() -> None:
    consumer = _consumer()
    attempts: list[int] = []
    dead: list[str] = []

    async def handle_once(*args: Any) -> bool:
        attempts.append(1)
        raise PoisonEvent("contradicts what this service knows")

    async def dead_letter(record: Any, producer: Any, reason: str, detail: str) -> None:
        dead.append(detail)

    consumer._handle_once = handle_once  # type: ignore[method-assign]
    consumer._dead_letter = dead_letter  # type: ignore[method-assign]
    await consumer._handle_with_retries(_Record(), None, _Envelope(), None, _unit)  # type: ignore[arg-type]
    assert len(attempts) == 1
    assert dead == ["datapark_eventing.consumer.PoisonEvent: contradicts what this service knows"]


@dataclass(frozen=True)
class _Polled:
    offset: int


class _CommitRefusedOnce:
    """A group member whose first offset commit is refused (the group rebalanced meanwhile)."""

    def __init__(self, owner: EventConsumer) -> None:
        self.owner = owner
        self.polls = 0
        self.commits: list[dict[Any, int]] = []

    async def getmany(self, **options: Any) -> dict[Any, list[Any]]:
        self.polls += 1
        return {("t", 0): [_Polled(self.polls)]}

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.commits.append(dict(offsets))
        if len(self.commits) == 3:
            self.owner.stop()
        if len(self.commits) == 1:
            raise CommitFailedError("the group has already rebalanced")

    def assignment(self) -> set[Any]:
        return set()


async def test_a_refused_offset_commit_keeps_the_member_polling() -> None:
    """The consumer neither stops nor tears down its client on a refused commit: it polls
    on (and aiokafka rejoins the group); the records go on being applied and committed."""
    consumer = _consumer()
    applied: list[int] = []

    async def process_batch(records: list[Any], producer: Any) -> None:
        applied.extend(record.offset for record in records)

    consumer.process_batch = process_batch  # type: ignore[method-assign]
    member = _CommitRefusedOnce(consumer)
    await consumer._poll_forever(member, None)  # type: ignore[arg-type]
    assert applied == [1, 2, 3]
    assert member.commits == [{("t", 0): 2}, {("t", 0): 3}, {("t", 0): 4}]
