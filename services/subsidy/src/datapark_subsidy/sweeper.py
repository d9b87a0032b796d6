"""The sweeper: reservations that lapsed undisbursed expire by themselves, on a timer.

Claims are locked with ``SKIP LOCKED``, so several replicas can sweep side by side without
expiring anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from datapark_kit.db import Database
from datapark_subsidy.claims.service import ClaimService
from datapark_subsidy.policies import ParameterSet
from datapark_subsidy.settings import SubsidySettings

log = logging.getLogger("datapark.subsidy.sweeper")


async def sweep_once(database: Database, params: ParameterSet) -> int:
    """One pass in one short transaction; the number of claims expired."""
    async with database.unit_of_work() as session:
        return await ClaimService(session, params).expire_lapsed(datetime.now(UTC).date())


def sweeper(
    settings: SubsidySettings, params: ParameterSet
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        database: Database = app.state.database

        async def loop() -> None:
            while True:
                try:
                    await sweep_once(database, params)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("sweep failed; trying again")
                await asyncio.sleep(settings.sweep_seconds)

        task = asyncio.create_task(loop(), name="subsidy-sweeper")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
