"""trading service application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_trading.handlers import event_handlers
from datapark_trading.settings import TradingSettings
from datapark_trading.tables import EVENTING, IDEMPOTENCY

ROUTERS: list[APIRouter] = []


def build_app(settings: TradingSettings | None = None) -> FastAPI:
    settings = settings or TradingSettings()
    return create_app(
        settings,
        title="datapark trading",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        readiness=[kafka_readiness(settings)],
        workers=service_workers(settings, EVENTING, event_handlers()),
    )
