"""subsidy service application: regional subsidy policies, claims, budgets and what-if."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_subsidy.budgets.endpoints import router as budgets_router
from datapark_subsidy.claims.endpoints import router as claims_router
from datapark_subsidy.claims.sweeper import sweeper
from datapark_subsidy.designations.endpoints import router as designations_router
from datapark_subsidy.handlers import event_handlers
from datapark_subsidy.policies.endpoints import router as policies_router
from datapark_subsidy.settings import SubsidySettings
from datapark_subsidy.simulations.endpoints import router as simulations_router
from datapark_subsidy.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS
from datapark_subsidy.terms.parameters import ParameterSet, load_parameters

ROUTERS: list[APIRouter] = [
    policies_router,
    claims_router,
    budgets_router,
    designations_router,
    simulations_router,
]


def build_app(settings: SubsidySettings | None = None) -> FastAPI:
    settings = settings or SubsidySettings()
    # The policy files are validated here, so a bad file stops the service at start.
    params: ParameterSet = load_parameters()

    async def keep_parameters(app: FastAPI) -> None:
        app.state.parameters = params

    eventing = service_workers(settings, EVENTING, event_handlers(params))
    sweeping = sweeper(settings, params)

    @asynccontextmanager
    async def workers(app: FastAPI) -> AsyncIterator[None]:
        async with eventing(app), sweeping(app):
            yield

    return create_app(
        settings,
        title="datapark subsidy",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        participants=PARTICIPANTS,
        readiness=[kafka_readiness(settings)],
        workers=workers,
        on_startup=keep_parameters,
    )
