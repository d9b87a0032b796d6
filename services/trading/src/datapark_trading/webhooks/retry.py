"""When to try a webhook delivery again, and when to stop and keep it for redelivery.

Exponential backoff from ``base`` doubling up to ``cap``, a fixed number of attempts; after the
last one the delivery stays in the log as ``exhausted`` (never dropped) until someone asks for
a redelivery. Jitter, when wanted, is passed in as a fraction so the schedule stays pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class Backoff:
    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=6)
    max_attempts: int = 12

    def delay(self, attempt: int, jitter: float = 0.0) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based), stretched by ``jitter``."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError("jitter is a fraction between 0 and 1")
        raw = min(self.base * (1 << (attempt - 1)), self.cap)
        return raw * (1 + jitter)

    def schedule(self) -> list[timedelta]:
        """The waits between all attempts, without jitter."""
        return [self.delay(n) for n in range(1, self.max_attempts)]


@dataclass(frozen=True, slots=True)
class Delivery:
    """The state of one event's delivery to one subscription."""

    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


def succeeded(d: Delivery, *, at: datetime) -> Delivery:
    return dataclasses.replace(
        d,
        status=DeliveryStatus.DELIVERED,
        attempts=d.attempts + 1,
        next_attempt_at=None,
        delivered_at=at,
        last_error=None,
    )


def failed(
    d: Delivery, *, at: datetime, error: str, backoff: Backoff, jitter: float = 0.0
) -> Delivery:
    """Record a failed attempt: retry later, or keep it as exhausted after the last attempt."""
    attempts = d.attempts + 1
    if attempts >= backoff.max_attempts:
        return dataclasses.replace(
            d,
            status=DeliveryStatus.EXHAUSTED,
            attempts=attempts,
            next_attempt_at=None,
            last_error=error,
        )
    return dataclasses.replace(
        d,
        status=DeliveryStatus.RETRYING,
        attempts=attempts,
        next_attempt_at=at + backoff.delay(attempts, jitter),
        last_error=error,
    )


def redeliver(d: Delivery, *, at: datetime) -> Delivery:
    """Queue a delivery again on request (an exhausted or even a delivered one)."""
    return dataclasses.replace(d, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at)
