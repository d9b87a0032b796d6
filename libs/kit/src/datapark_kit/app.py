"""The service application factory: every datapark service is built the same way.

It wires problem errors, authentication, the HTTP unit of work, request ids, metrics,
structured logs and tracing, the health endpoints, and the service's background workers
(outbox relay and consumers) into a FastAPI app whose lifespan owns every resource.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import FromClause, Table, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datapark_kit import heap, ratelimit
from datapark_kit.auth import TokenVerifier
from datapark_kit.db import Database
from datapark_kit.guards import BodyLimitMiddleware, RejectControlCharactersMiddleware
from datapark_kit.idempotency import IdempotencyStore
from datapark_kit.logs import configure_logging, principal_var, request_id_var
from datapark_kit.metrics import HTTP_LATENCY, HTTP_REQUESTS, exposition
from datapark_kit.openapi import install_openapi
from datapark_kit.problems import LastResortMiddleware, install_problem_handlers
from datapark_kit.reference import install_reference
from datapark_kit.schemas import RequestModel, forbids_extra, request_models
from datapark_kit.settings import ServiceSettings
from datapark_kit.telemetry import TracingSwitch, setup_tracing
from datapark_kit.uow import UnitOfWorkRoute

ReadinessCheck = Callable[[FastAPI], Awaitable[None]]
Workers = Callable[[FastAPI], AbstractAsyncContextManager[None]]
log = logging.getLogger("datapark.app")


class RequestContextMiddleware:
    """Request id in and out, the caller in the log context, request metrics by route,
    ``X-Content-Type-Options: nosniff`` on every response, and the rate-limit headers of the
    quota a limiter reported while handling the request (``datapark_kit.ratelimit``)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode(errors="ignore")[:100]
        request_id = incoming or uuid.uuid4().hex
        rid_token = request_id_var.set(request_id)
        who_token = principal_var.set(None)
        quota, quota_token = ratelimit.begin()
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                    # JSON is never to be sniffed into something a browser would run.
                    (b"x-content-type-options", b"nosniff"),
                    *ratelimit.headers(quota),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            labels = (self.service, scope.get("method", ""), label, str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_LATENCY.labels(*labels).observe(elapsed)
            request_id_var.reset(rid_token)
            principal_var.reset(who_token)
            ratelimit.end(quota_token)


async def database_ready(app: FastAPI) -> None:
    database: Database = app.state.database
    async with database.engine.connect() as conn:
        await conn.execute(text("select 1"))


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    idempotency_table: Table | None = None,
    readiness: Sequence[ReadinessCheck] = (),
    workers: Workers | None = None,
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None,
    open_paths: frozenset[str] = frozenset(),
    participants: FromClause | None = None,
) -> FastAPI:
    """Build a service app. Resources are created in the lifespan, never at import time.

    ``participants`` is the service's table of participants (``id``, ``status``): every write
    of a participant it holds as suspended is refused (``datapark_kit.uow``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            settings.service_name, level=settings.log_level, json_format=settings.log_json
        )
        setup_tracing(
            settings.service_name,
            settings.otlp_endpoint,
            sample_ratio=settings.trace_sample_ratio,
        )
        database = Database(
            settings.database_url.get_secret_value(), pool_size=settings.database_pool_size
        )
        app.state.settings = settings
        app.state.database = database
        app.state.verifier = TokenVerifier(
            settings.jwt_public_jwks,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks_url=settings.jwks_url,
        )
        if settings.jwks_url:
            await app.state.verifier.refresh()
        if idempotency_table is not None:
            app.state.idempotency = IdempotencyStore(idempotency_table)
        if on_startup is not None:
            await on_startup(app)
        try:
            if workers is not None and settings.run_workers:
                async with workers(app):
                    log.info(
                        "%s started on %s:%s", settings.service_name, settings.host, settings.port
                    )
                    async with _frozen_heap():
                        yield
            else:
                async with _frozen_heap():
                    yield
        finally:
            await database.dispose()

    _require_unit_of_work(routers, open_paths)
    lenient = lenient_request_models(routers)
    for found in lenient:
        log.warning("%s: unknown fields are not refused, decimals not read strictly", found)
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        # Served by install_reference from the service's own assets (no CDN).
        docs_url=None,
        redoc_url=None,
        # Traces come from OpenTelemetry's ASGI middleware below (while spans are recorded);
        # FastAPI's own telemetry would be a second, per-request layer doing nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.participants = participants
    app.state.lenient_request_models = lenient
    install_problem_handlers(app)
    install_reference(app)
    for router in routers:
        app.include_router(router)
    install_openapi(
        app,
        idempotent_posts=idempotent_posts(routers) if idempotency_table is not None else set(),
        # The open paths (the token endpoint) are the ones throttled per client.
        rate_limited=open_paths,
    )
    checks: list[ReadinessCheck] = [database_ready, *readiness]

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["health"], summary="Database and Kafka are reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, Any] = {}
        for check in checks:
            name = check.__name__.removesuffix("_ready")
            try:
                await asyncio.wait_for(check(app), timeout=3)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failed: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(exposition().decode(), media_type=CONTENT_TYPE_LATEST)

    _instrument(app)
    # Outermost last. All inside the request context (so a refusal carries the request id
    # and is counted); the body limit before anything reads the body; the last resort around
    # everything that may fail.
    app.add_middleware(RejectControlCharactersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        read_timeout=settings.body_read_timeout_seconds,
    )
    app.add_middleware(LastResortMiddleware)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    return app


def _instrument(app: FastAPI) -> None:
    """OpenTelemetry's FastAPI instrumentation for the requests of a process that records
    spans, and the same middleware stack without it for the others (``TracingSwitch``)."""
    plain_stack = app.build_middleware_stack
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    traced_stack = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return TracingSwitch(traced=traced_stack(), plain=plain_stack())

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


@asynccontextmanager
async def _frozen_heap() -> AsyncIterator[None]:
    """Startup is complete (app built, pools, relay and consumers started): what is alive now
    lives as long as the process and leaves the collector's generations until the app stops
    (``datapark_kit.heap``)."""
    heap.freeze()
    try:
        yield
    finally:
        heap.thaw()


def _require_unit_of_work(routers: Sequence[APIRouter], open_paths: frozenset[str]) -> None:
    """Every write endpoint runs in the unit of work (transaction + Idempotency-Key); only the
    declared open paths (the token endpoint) may do without. Checked when the app is built."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            writes = (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
            if writes and route.path not in open_paths and not isinstance(route, UnitOfWorkRoute):
                raise TypeError(f"{sorted(writes)} {route.path} must use UnitOfWorkRoute")


def idempotent_posts(routers: Sequence[APIRouter]) -> set[tuple[str, str]]:
    """The POST routes run in the unit of work, which honours ``Idempotency-Key``."""
    return {
        ("post", route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, UnitOfWorkRoute) and "POST" in (route.methods or set())
    }


def lenient_request_models(routers: Sequence[APIRouter]) -> list[str]:
    """Request body models (or models inside one) that are neither a
    ``datapark_kit.schemas.RequestModel`` nor a frozen payload model of
    ``datapark_contracts`` (whose money types are strict), or that do not refuse unknown
    fields. Every service must have none (tests/integration/security checks it)."""
    seen: set[type[BaseModel]] = set()
    found: list[str] = []

    def check(model: type[BaseModel], where: str) -> None:
        if model in seen:
            return
        seen.add(model)
        strict = issubclass(model, RequestModel) or model.__module__.startswith(
            "datapark_contracts."
        )
        if not (strict and forbids_extra(model)):
            found.append(f"{where}: {model.__module__}.{model.__name__}")
        for field in model.model_fields.values():
            for inner in request_models(field.annotation):
                check(inner, where)

    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for param in route.dependant.body_params:
                for model in request_models(param.field_info.annotation):
                    check(model, f"{','.join(sorted(route.methods or ()))} {route.path}")
    return found
