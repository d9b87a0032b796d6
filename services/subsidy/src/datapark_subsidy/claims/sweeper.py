"""The sweeper: reservations that lapsed undisbursed expire by themselves, on a timer.

Claims are locked with ``SKIP LOCKED``, so several replicas can sweep side by side without
expiring anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from fastapi import FastAPI

from datapark_kit.background import periodic
from datapark_kit.db import Database
from datapark_subsidy.claims.service import ClaimService
from datapark_subsidy.settings import SubsidySettings
from datapark_subsidy.terms.parameters import ParameterSet


async def sweep_once(database: Database, params: ParameterSet) -> int:
    """One pass in one short transaction; the number of claims expired."""
    async with database.unit_of_work() as session:
        return await ClaimService(session, params).expire_lapsed(datetime.now(UTC).date())


def sweeper(
    settings: SubsidySettings, params: ParameterSet
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The sweeper as a periodic background job of the app."""

    async def sweep(app: FastAPI) -> None:
        await sweep_once(app.state.database, params)

    return periodic("subsidy-sweeper", settings.sweep_seconds, sweep)
