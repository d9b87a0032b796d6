"""OpenTelemetry set-up: traces for FastAPI, httpx and SQLAlchemy; OTLP export when configured.

A tracer provider is always installed, so every request and event has a trace id (for logs
and for the outbox's stored trace context). Spans are only *recorded* while the provider has
somewhere to send them (an OTLP exporter, or the in-memory exporter tests add): without one,
the sampler drops every span and the instrumentation does no attribute or timing work (a
profile of the booking path put 12 % of its CPU in recording spans nobody exported, #14).
With an exporter, ``trace_sample_ratio`` (0..1) samples root traces by trace id; children
follow their parent's decision, so a trace is whole or absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.span import INVALID_TRACE_ID, TraceState
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util.types import Attributes
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from starlette.types import ASGIApp, Receive, Scope, Send

_provider: TracerProvider | None = None


class ExportAwareSampler(Sampler):
    """Drops every span until a span processor is added; then samples by ``ratio``."""

    def __init__(self, ratio: float = 1.0) -> None:
        self.exporting = False
        self.ratio = ratio
        self._sampled = ParentBased(TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if self.exporting:
            return self._sampled.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = trace.get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, None, parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"ExportAwareSampler{{{self.ratio}}}"


class DataparkTracerProvider(TracerProvider):
    """A tracer provider whose sampler starts recording once a processor is added."""

    def __init__(self, service: str, ratio: float) -> None:
        self.export_sampler = ExportAwareSampler(ratio)
        super().__init__(
            resource=Resource.create({"service.name": service}), sampler=self.export_sampler
        )

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.export_sampler.exporting = True


def setup_tracing(
    service: str, otlp_endpoint: str | None, *, sample_ratio: float = 1.0
) -> TracerProvider:
    """Install the process's tracer provider once; later calls reuse it."""
    global _provider
    if _provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            _provider = current
        else:
            _provider = DataparkTracerProvider(service, sample_ratio)
            trace.set_tracer_provider(_provider)
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces"))
            )
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        # Every engine of the process, created before or after (class-level listeners).
        trace_sql()
    return _provider


def spans_recorded() -> bool:
    """False while this process's provider drops every span (no exporter): hot loops may then
    skip creating spans altogether and pass stored trace context through unchanged."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, DataparkTracerProvider):
        return provider.export_sampler.exporting
    return isinstance(provider, TracerProvider)


def current_traceparent() -> dict[str, str]:
    """The W3C trace context of the current span, as headers (empty when none)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: dict[str, str]) -> Context:
    return propagate.extract(carrier)


_IDS = RandomIdGenerator()


def request_span_context(scope: Scope) -> NonRecordingSpan:
    """The span a request runs in while no span is recorded: in the caller's trace (its
    ``traceparent`` header) or a new one, with a span id of its own, unsampled; what the
    sampler would have made of it, without the instrumentation's attribute work."""
    carrier: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        if name in (b"traceparent", b"tracestate"):
            carrier[name.decode()] = value.decode("latin-1")
    trace_id, trace_state = INVALID_TRACE_ID, None
    if "traceparent" in carrier:
        caller = trace.get_current_span(propagate.extract(carrier)).get_span_context()
        if caller.is_valid:
            trace_id, trace_state = caller.trace_id, caller.trace_state
    return NonRecordingSpan(
        SpanContext(
            trace_id=trace_id if trace_id != INVALID_TRACE_ID else _IDS.generate_trace_id(),
            span_id=_IDS.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.DEFAULT),
            trace_state=trace_state,
        )
    )


class TracingSwitch:
    """Per request: through ``traced`` (OpenTelemetry's ASGI middleware over the stack) while
    spans are recorded (an exporter is configured), else straight into ``plain`` (the same
    stack without it) inside a non-recording span of the caller's trace or a new one, so
    logs and the outbox still carry a trace id. A profile of the booking hold put about a
    tenth of the request's CPU in the ASGI instrumentation (attributes, a second route match,
    metrics) for spans that no exporter would ever see (#14)."""

    def __init__(self, traced: ASGIApp, plain: ASGIApp) -> None:
        self.traced = traced
        self.plain = plain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or spans_recorded():
            await self.traced(scope, receive, send)
            return
        span = request_span_context(scope)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.plain(scope, receive, send)
        finally:
            otel_context.detach(token)


_SQL_TRACER = "datapark_kit.telemetry.sql"
_LEADING_COMMENT = re.compile(r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*", re.S)
_traced_sql = False


def trace_sql() -> None:
    """A CLIENT span per SQL statement of every engine in the process (``db.system``,
    ``db.statement``, ``db.name``, the server), child of the current span, while spans are
    recorded; while they are not, a statement costs one check. (OpenTelemetry's SQLAlchemy
    instrumentation did its attribute and span work for every statement even when the
    sampler dropped the span: about 5 % of a booking hold's CPU.)"""
    global _traced_sql
    if _traced_sql:
        return
    _traced_sql = True
    event.listen(Engine, "before_cursor_execute", _before_statement)
    event.listen(Engine, "after_cursor_execute", _after_statement)
    event.listen(Engine, "handle_error", _statement_failed)


def _before_statement(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
) -> None:
    if not spans_recorded():
        return
    url = conn.engine.url
    words = _LEADING_COMMENT.sub("", statement).split(maxsplit=1)
    operation = words[0].upper() if words else "SQL"
    attributes: dict[str, str | int] = {
        "db.system": "postgresql",
        "db.statement": statement,
        "db.operation": operation,
    }
    if url.database:
        attributes["db.name"] = url.database
    if url.host:
        attributes["net.peer.name"] = url.host
    if url.port:
        attributes["net.peer.port"] = url.port
    if url.username:
        attributes["db.user"] = url.username
    name = f"{operation} {url.database}" if url.database else operation
    span = trace.get_tracer(_SQL_TRACER).start_span(
        name, kind=SpanKind.CLIENT, attributes=attributes
    )
    context._datapark_span = span


def _after_statement(
    conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
) -> None:
    span = getattr(context, "_datapark_span", None)
    if span is not None:
        context._datapark_span = None
        span.end()


def _statement_failed(context: ExceptionContext) -> None:
    span = getattr(context.execution_context, "_datapark_span", None)
    if span is not None:
        context.execution_context._datapark_span = None  # type: ignore[union-attr]
        span.set_status(Status(StatusCode.ERROR, str(context.original_exception)))
        span.end()
