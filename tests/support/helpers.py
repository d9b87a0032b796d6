"""Helpers for integration tests: valid codes, polling until a deadline, database access."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from datapark_catalog.participants.uscc import ALPHABET, check_character

T = TypeVar("T")


def random_uscc(region: str = "110105") -> str:
    """A fresh USCC with a correct check character, registered in ``region``."""
    body = "91" + region + "".join(random.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0, interval: float = 0.1
) -> T:
    """Poll ``probe`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


# The local stack's Kafka (deploy/local/stack.sh honours the same variables).
KAFKA = os.environ.get(
    "DATAPARK_KAFKA_BOOTSTRAP", f"127.0.0.1:{os.environ.get('DATAPARK_KAFKA_PORT', '9092')}"
)

# Marks a record a test forges on purpose (a fact under a new id, an event of no real
# aggregate) so the whole-log audit can leave it out.
INJECTED: tuple[tuple[str, bytes], ...] = (("datapark-test-injected", b"true"),)
