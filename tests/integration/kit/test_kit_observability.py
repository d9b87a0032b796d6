"""One trace from an HTTP request through the outbox and Kafka into other services'
consumers; metrics that move; JSON logs that carry trace ids and never a secret."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select
from support.helpers import eventually, random_uscc

from datapark_catalog.tables import EVENTING
from datapark_kit.telemetry import setup_tracing

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider: TracerProvider = setup_tracing("tests", None)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_one_trace_spans_http_outbox_kafka_and_consumers(
    spans, catalog, trading, rental, subsidy, token
) -> None:
    body = {"name": "Traced Co.", "uscc": random_uscc(), "region_code": "130632"}
    response = await catalog.post("/v1/participants", json=body, headers=token("operator"))
    assert response.status_code == 201
    pid = response.json()["id"]
    async with catalog.app.state.database.unit_of_work() as session:
        traceparent = await session.scalar(
            select(EVENTING.outbox.c.traceparent).where(EVENTING.outbox.c.subject == pid)
        )
    assert traceparent is not None
    trace_id = int(traceparent.split("-")[1], 16)

    def in_trace() -> list[Any]:
        return [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]

    async def consumers_done() -> list[Any] | None:
        found = [s for s in in_trace() if s.kind == SpanKind.CONSUMER]
        groups = {s.attributes.get("messaging.consumer.group.name") for s in found}
        return found if len(groups) >= 3 else None

    consumed = await eventually(consumers_done, timeout=60)
    groups = {s.attributes["messaging.consumer.group.name"] for s in consumed}
    assert {g.split(".", 1)[1] for g in groups} >= {
        "trading.worker",
        "rental.worker",
        "subsidy.worker",
    }
    kinds = {s.kind for s in in_trace()}
    assert {SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER} <= kinds
    producer = next(s for s in in_trace() if s.kind == SpanKind.PRODUCER)
    assert all(
        s.parent is not None and s.parent.span_id == producer.context.span_id for s in consumed
    )
    sql = [s for s in in_trace() if s.attributes and s.attributes.get("db.system")]
    assert sql, "SQLAlchemy spans belong to the request's trace"


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_metrics_show_outbox_and_consumer_figures_moving(
    catalog, trading, rental, subsidy, token
) -> None:
    consumers = {"trading": trading, "rental": rental, "subsidy": subsidy}
    before_catalog = (await catalog.get("/metrics")).text
    before = {name: (await client.get("/metrics")).text for name, client in consumers.items()}
    for _ in range(3):
        body = {"name": "Metered Co.", "uscc": random_uscc(), "region_code": "350102"}
        response = await catalog.post("/v1/participants", json=body, headers=token("operator"))
        assert response.status_code == 201

    def handled(text: str, service: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("datapark_consumer_messages_total{")
            and f'{service}.worker"' in line
            and 'outcome="handled"' in line
        )

    async def moved() -> bool:
        after_catalog = (await catalog.get("/metrics")).text
        sent = _metric(after_catalog, "datapark_outbox_sent_total", service="catalog") - _metric(
            before_catalog, "datapark_outbox_sent_total", service="catalog"
        )
        for name, client in consumers.items():
            text = (await client.get("/metrics")).text
            if handled(text, name) - handled(before[name], name) < 3:
                return False
        return sent >= 3

    await eventually(moved, timeout=60)
    for name, client in {"catalog": catalog, **consumers}.items():
        text = (await client.get("/metrics")).text
        assert re.search(rf'^datapark_outbox_backlog\{{service="{name}"\}} \d', text, re.M)
        assert re.search(
            rf'^datapark_outbox_oldest_unsent_age_seconds\{{service="{name}"\}}', text, re.M
        )
        assert re.search(r"^datapark_http_request_duration_seconds_bucket\{", text, re.M)
    for client in consumers.values():
        text = (await client.get("/metrics")).text
        assert re.search(r'^datapark_consumer_lag\{.*topic="catalog.participants.v1"', text, re.M)
    assert (
        _metric(
            (await catalog.get("/metrics")).text,
            "datapark_http_requests_total",
            route="/v1/participants",
            status="201",
        )
        >= 3
    )


async def test_health_endpoints_are_open_and_report_dependencies(catalog, rental) -> None:
    for client in (catalog, rental):
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
    assert (await catalog.get("/openapi.json")).status_code == 200


async def test_unknown_route_is_a_problem(catalog) -> None:
    response = await catalog.get(f"/v1/nothing-{uuid.uuid4().hex}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"
