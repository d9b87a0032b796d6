"""catalog's secret hasher: work runs in its own threads, and beyond its queue a request is
refused at once (503 with Retry-After) rather than waiting without bound."""

from __future__ import annotations

import asyncio
import threading

import pytest

from datapark_catalog.auth.secrets import SecretHasher, hash_secret
from datapark_kit.errors import ServiceUnavailable


async def test_secrets_are_hashed_and_verified_off_the_event_loop() -> None:
    hasher = SecretHasher(workers=2, queue=2)
    seen: list[str] = []

    def where(_: str) -> str:
        seen.append(threading.current_thread().name)
        return "ok"

    assert await hasher._run(where, "x") == "ok"
    assert seen[0].startswith("secret-hash")
    stored = await hasher.hash("s3cret")
    assert await hasher.verify("s3cret", stored)
    assert not await hasher.verify("guess", stored)


async def test_beyond_the_workers_and_the_queue_a_request_is_refused_at_once() -> None:
    hasher = SecretHasher(workers=1, queue=1)
    gate = threading.Event()

    def hold(_: str) -> str:
        gate.wait(5)
        return "done"

    running = asyncio.create_task(hasher._run(hold, "a"))
    waiting = asyncio.create_task(hasher._run(hold, "b"))
    await asyncio.sleep(0.05)
    with pytest.raises(ServiceUnavailable) as refused:
        await hasher._run(hold, "c")
    assert refused.value.extra["retry_after"] == 1
    assert hasher.waiting == 1
    # A request given up while its hashing runs keeps its place until the thread is done.
    running.cancel()
    await asyncio.sleep(0.05)
    with pytest.raises(ServiceUnavailable):
        await hasher._run(hold, "d")
    gate.set()
    assert await waiting == "done"
    await asyncio.sleep(0.05)
    assert await hasher.verify("x", hash_secret("x"))
