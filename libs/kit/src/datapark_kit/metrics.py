"""Prometheus metrics of the platform, labelled by service so one registry serves a process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "datapark_http_requests_total",
    "HTTP requests handled",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "datapark_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("datapark_outbox_backlog", "Outbox rows not yet sent to Kafka", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "datapark_outbox_oldest_unsent_age_seconds", "Age of the oldest unsent outbox row", ["service"]
)
OUTBOX_SENT = Counter(
    "datapark_outbox_sent_total", "Outbox rows published to Kafka", ["service", "topic"]
)
CONSUMER_LAG = Gauge(
    "datapark_consumer_lag", "Records behind the partition's end", ["group", "topic", "partition"]
)
MESSAGES = Counter(
    "datapark_consumer_messages_total",
    "Consumed records by outcome (handled, duplicate, skipped, retried, dead_lettered)",
    ["group", "outcome"],
)
