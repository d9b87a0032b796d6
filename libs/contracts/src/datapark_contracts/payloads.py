"""Base of every event payload and the registry of event types.

Payloads are frozen pydantic models, one per event type, defined only in
``datapark_contracts.events``. The registry maps the CloudEvents ``type`` to its model and
topic; consumers parse with it, the schema export and the AsyncAPI document are built from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

_TYPE_RE = re.compile(r"^datapark\.[a-z]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$")


class EventPayload(BaseModel):
    """Immutable facts: extra fields are refused so a producer cannot leak ad-hoc data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    aggregate: ClassVar[str]

    def aggregate_id(self) -> str:
        """The key of the aggregate this event belongs to (the Kafka key)."""
        value = getattr(self, f"{self.aggregate}_id")
        return str(value)

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class UnknownEventType(LookupError):
    """A CloudEvents type that no contract defines."""


REGISTRY: dict[str, type[EventPayload]] = {}
P = TypeVar("P", bound=type[EventPayload])


def event(event_type: str, *, topic: str, aggregate: str) -> Callable[[P], P]:
    """Register a payload model under its versioned type name."""
    if not _TYPE_RE.match(event_type):
        raise ValueError(f"bad event type name {event_type!r}")

    def register(cls: P) -> P:
        if event_type in REGISTRY and REGISTRY[event_type] is not cls:
            raise ValueError(f"event type {event_type} registered twice")
        cls.event_type = event_type
        cls.topic = topic
        cls.aggregate = aggregate
        REGISTRY[event_type] = cls
        return cls

    return register


def payload_model(event_type: str) -> type[EventPayload]:
    from datapark_contracts import events  # noqa: F401  (fills the registry)

    try:
        return REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def all_event_types() -> dict[str, type[EventPayload]]:
    from datapark_contracts import events  # noqa: F401

    return dict(sorted(REGISTRY.items()))
