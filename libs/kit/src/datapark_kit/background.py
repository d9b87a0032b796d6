"""Periodic background jobs run inside a service's lifespan (sweepers and the like)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

log = logging.getLogger("datapark.background")


def periodic(
    name: str, every_seconds: float, job: Callable[[FastAPI], Awaitable[object]]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run ``job(app)`` every ``every_seconds`` for as long as the app lives.

    A failing pass is logged and the next one runs on schedule; each pass owns its own
    transactions, so a failure never leaves work half-done.
    """

    @asynccontextmanager
    async def running(app: FastAPI) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                try:
                    await job(app)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s failed; trying again in %.0fs", name, every_seconds)
                await asyncio.sleep(every_seconds)

        task = asyncio.create_task(loop(), name=name)
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running
