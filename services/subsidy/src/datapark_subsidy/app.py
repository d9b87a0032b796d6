"""subsidy service application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_subsidy.handlers import event_handlers
from datapark_subsidy.settings import SubsidySettings
from datapark_subsidy.tables import EVENTING, IDEMPOTENCY

ROUTERS: list[APIRouter] = []


def build_app(settings: SubsidySettings | None = None) -> FastAPI:
    settings = settings or SubsidySettings()
    return create_app(
        settings,
        title="datapark subsidy",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        readiness=[kafka_readiness(settings)],
        workers=service_workers(settings, EVENTING, event_handlers()),
    )
