"""The sweeper: what happens by itself, on a timer, in short transactions.

Holds past their TTL expire and free their units; checked-out bookings past their end are
flagged overdue; lease installments fall due, held credit is applied and penalties and
delinquency buckets move. Rows are locked with ``SKIP LOCKED``, so several replicas can sweep
side by side without doing anything twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI

from datapark_eventing.metrics import SWEPT
from datapark_kit.background import periodic
from datapark_kit.db import Database
from datapark_rental.bookings.service import BookingService
from datapark_rental.leases.accounts import LeaseAccounts
from datapark_rental.leases.service import LeaseService
from datapark_rental.settings import RentalSettings


async def sweep_once(database: Database, settings: RentalSettings) -> dict[str, int]:
    """One pass; each kind of work in its own transaction."""
    now = datetime.now(UTC)
    ttl = timedelta(seconds=settings.hold_ttl_seconds)
    async with database.unit_of_work() as session:
        expired = await BookingService(session, ttl).expire_lapsed_holds(now)
    async with database.unit_of_work() as session:
        overdue = await BookingService(session, ttl).flag_overdue(now)
    async with database.unit_of_work() as session:
        leases = LeaseService(
            session,
            penalty_daily_rate=Decimal(settings.penalty_daily_rate),
            grace_days=settings.penalty_grace_days,
            termination_fee_rate=Decimal(settings.termination_fee_rate),
        )
        swept = await LeaseAccounts(leases).sweep(now.date())
    result = {"expired": expired, "overdue": overdue, "leases": swept}
    for kind, count in result.items():
        SWEPT.labels("rental", kind).inc(count)  # holds and overdue flags: 100 at most a pass
    return result


def sweeper(
    settings: RentalSettings,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The sweeper as a periodic background job of the app."""

    async def sweep(app: FastAPI) -> None:
        await sweep_once(app.state.database, settings)

    return periodic("rental-sweeper", settings.sweep_seconds, sweep)
