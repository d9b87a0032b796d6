"""Typed subscriptions: one handler per event type, refusals are poison, poison is not retried."""

from __future__ import annotations

from typing import Any

import pytest

from datapark_contracts.events import catalog_listings as catalog
from datapark_eventing.consumer import EventConsumer, PoisonEvent
from datapark_eventing.subscriptions import Subscriptions
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


class _Record:
    topic, partition, offset, key, value, headers = "t", 0, 7, b"k", b"v", ()


class _Envelope:
    type = "datapark.test.thing.happened.v1"


async def test_the_consumer_dead_letters_a_poison_event_without_retrying() -> None:
    consumer = EventConsumer(
        group_id="test",
        topics=("t",),
        bootstrap=None,  # type: ignore[arg-type]
        database=None,  # type: ignore[arg-type]
        inbox=type("Inbox", (), {"schema": "s", "name": "inbox"})(),
        handlers={},
        poison_attempts=3,
    )
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
