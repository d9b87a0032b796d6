"""rental service application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from datapark_rental.handlers import event_handlers
from datapark_rental.settings import RentalSettings
from datapark_rental.tables import EVENTING, IDEMPOTENCY
from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app

ROUTERS: list[APIRouter] = []


def build_app(settings: RentalSettings | None = None) -> FastAPI:
    settings = settings or RentalSettings()
    return create_app(
        settings,
        title="datapark rental",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        readiness=[kafka_readiness(settings)],
        workers=service_workers(settings, EVENTING, event_handlers()),
    )
