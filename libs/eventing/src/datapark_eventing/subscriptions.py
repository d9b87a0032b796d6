"""Typed event subscriptions: a handler is registered under the payload class it receives.

```python
subscriptions = Subscriptions()

@subscriptions.subscribe(LeaseActivated)
async def lease_activated(
    session: AsyncSession, envelope: Envelope, payload: LeaseActivated
) -> None:
    await LeaseService(session).activated(payload, aggseq=envelope.aggseq)
```

``subscribe(E1, E2, ...)`` binds the handler's payload type to the events it is registered
under, so mypy refuses a handler registered under an event it does not receive (a handler of
``LeaseActivated`` under ``BookingConfirmed``). ``subscriptions.handlers()`` is the mapping
event type -> handler that the consumer takes.

What a handler's failure means to the consumer (``datapark_eventing.consumer``):

- ``TransientError`` (and a database or network failure): try again, with backoff, for as long
  as it lasts; never dead-lettered.
- ``PoisonEvent``: the event can never be applied (it contradicts what this service knows);
  dead-lettered at once, without retries.
- A ``datapark_kit.errors.ProblemError`` (``Unprocessable``, ``NotFound``, ...), the errors a
  service raises for a request it refuses: the same refusal every time, so a subscribed
  handler's one is a ``PoisonEvent`` too.
- Anything else (a bug): retried a few times, then dead-lettered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.payloads import EventPayload
from datapark_eventing.consumer import Handler, PoisonEvent
from datapark_kit.errors import ProblemError

P = TypeVar("P", bound=EventPayload)
TypedHandler = Callable[[AsyncSession, Envelope, P], Awaitable[None]]


class Subscriptions:
    """One service's subscriptions: at most one handler per event type."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def subscribe(self, *events: type[P]) -> Callable[[TypedHandler[P]], TypedHandler[P]]:
        """Register the decorated handler under each of ``events`` (it receives their payload)."""
        if not events:
            raise ValueError("subscribe to at least one event type")

        def register(handler: TypedHandler[P]) -> TypedHandler[P]:
            for event in events:
                if event.event_type in self._handlers:
                    raise ValueError(f"{event.event_type} already has a handler")
                self._handlers[event.event_type] = _refusals_are_poison(handler)
            return handler

        return register

    def include(self, handlers: Subscriptions | Mapping[str, Handler]) -> None:
        """Add another set of subscriptions (a domain's, or the shared participant projection's,
        ``datapark_eventing.projections.participant_subscriptions``), or handlers registered
        by type name (an event whose payload class this service does not import)."""
        if isinstance(handlers, Subscriptions):
            handlers = handlers.handlers()
        for event_type, handler in handlers.items():
            if event_type in self._handlers:
                raise ValueError(f"{event_type} already has a handler")
            self._handlers[event_type] = handler

    def handlers(self) -> dict[str, Handler]:
        """Event type -> handler, for the consumer."""
        return dict(self._handlers)


def _refusals_are_poison(handler: TypedHandler[P]) -> Handler:
    async def handle(session: AsyncSession, envelope: Envelope, payload: P) -> None:
        try:
            await handler(session, envelope, payload)
        except ProblemError as refusal:
            raise PoisonEvent(
                f"{type(refusal).__name__} ({refusal.code}): {refusal.detail}"
            ) from refusal

    handle.__name__ = getattr(handler, "__name__", "handle")
    handle.__qualname__ = getattr(handler, "__qualname__", "handle")
    return handle
