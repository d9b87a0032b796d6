"""OpenTelemetry set-up: traces for FastAPI, httpx and SQLAlchemy; OTLP export when configured.

A tracer provider is always installed (so spans and trace ids exist for logs and for the
outbox's stored trace context); it exports only when an OTLP endpoint is set. Tests add an
in-memory exporter to the same provider.
"""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def setup_tracing(service: str, otlp_endpoint: str | None) -> TracerProvider:
    """Install the process's tracer provider once; later calls reuse it."""
    global _provider
    if _provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            _provider = current
        else:
            _provider = TracerProvider(resource=Resource.create({"service.name": service}))
            trace.set_tracer_provider(_provider)
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces"))
            )
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        HTTPXClientInstrumentor().instrument()
        # Instruments every engine created from now on (one instrumentor per process).
        SQLAlchemyInstrumentor().instrument()
    return _provider


def current_traceparent() -> dict[str, str]:
    """The W3C trace context of the current span, as headers (empty when none)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: dict[str, str]) -> Context:
    return propagate.extract(carrier)
