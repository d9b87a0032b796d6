"""Metrics of the eventing workers that the alerts in deploy/k8s/base/monitoring.yaml use
(besides those of ``datapark_kit.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RELAY_LEADER = Gauge(
    "datapark_relay_leader",
    "1 while this process holds its service's relay lock (the active relay), else 0",
    ["service"],
    multiprocess_mode="livesum",  # several worker processes: how many of them lead (0 or 1)
)
PRUNED = Counter(
    "datapark_retention_pruned_total",
    "Rows deleted by the retention sweeper, by table",
    ["service", "table"],
)
PRUNE_BACKLOG = Gauge(
    "datapark_retention_backlog",
    "Rows past retention still waiting after the last sweep (0 once caught up)",
    ["service", "table"],
    multiprocess_mode="livemostrecent",
)
SWEPT = Counter(
    "datapark_sweeper_items_total",
    "Items a service's sweeper moved on (expired holds, overdue bookings, ...), by kind",
    ["service", "kind"],
)
RELAY_RECONCILED = Counter(
    "datapark_relay_reconciled_total",
    "Outbox rows a relay found already on Kafka when it reconciled (marked sent, not resent)",
    ["service"],
)
