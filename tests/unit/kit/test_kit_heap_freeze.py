"""A service's lifespan freezes its startup heap once started and hands it back when it stops
(``datapark_kit.heap``): the objects alive after startup leave the collector's generations, so a
full collection on the request or record path no longer walks them."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from datapark_kit.app import create_app
from datapark_kit.settings import ServiceSettings


async def _frozen_while_running(app: FastAPI) -> tuple[int, int]:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        running = gc.get_freeze_count()
    return running, gc.get_freeze_count()


async def test_lifespan_freezes_the_started_heap_and_thaws_it_on_stop() -> None:
    app = create_app(
        ServiceSettings(service_name="heap-test", run_workers=False),
        title="heap",
        description="heap",
        routers=[],
    )
    running, stopped = await _frozen_while_running(app)
    assert running > 0
    assert stopped == 0


async def test_the_heap_is_frozen_after_the_workers_started() -> None:
    seen: list[int] = []

    @asynccontextmanager
    async def workers(app: FastAPI) -> AsyncIterator[None]:
        seen.append(gc.get_freeze_count())
        yield

    app = create_app(
        ServiceSettings(service_name="heap-test", run_workers=True),
        title="heap",
        description="heap",
        routers=[],
        workers=workers,
    )
    running, stopped = await _frozen_while_running(app)
    assert seen == [0]
    assert running > 0
    assert stopped == 0
