"""rental: robot bookings that cannot double-book, robot containers, and leases from risk
review to title transfer with exact schedules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_rental.bookings.endpoints import router as bookings_router
from datapark_rental.handlers import event_handlers
from datapark_rental.leases.endpoints import router as leases_router
from datapark_rental.settings import RentalSettings
from datapark_rental.sweeper import sweeper
from datapark_rental.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS

ROUTERS: list[APIRouter] = [bookings_router, leases_router]


def build_app(settings: RentalSettings | None = None) -> FastAPI:
    settings = settings or RentalSettings()
    eventing = service_workers(settings, EVENTING, event_handlers())
    sweeping = sweeper(settings)

    @asynccontextmanager
    async def workers(app: FastAPI) -> AsyncIterator[None]:
        async with eventing(app), sweeping(app):
            yield

    return create_app(
        settings,
        title="datapark rental",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        participants=PARTICIPANTS,
        readiness=[kafka_readiness(settings)],
        workers=workers,
    )
