"""Prometheus metrics of the platform, labelled by service so one registry serves a process.

A service served by several worker processes (``web_workers`` > 1, ``datapark_kit.serve``)
runs in prometheus_client's multi-process mode: ``PROMETHEUS_MULTIPROC_DIR`` names a directory
of its own, emptied at every start, where each process keeps its values in memory-mapped files,
and ``/metrics`` (:func:`exposition`) adds them up, whichever worker answers the scrape.
Counters and histograms are summed over every process that ever ran since the start (a
restarted worker's requests still count); each gauge says how its processes' values combine
(``multiprocess_mode``), over live processes only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

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
# Measured in the database by whichever process runs the active relay: the newest measurement.
OUTBOX_BACKLOG = Gauge(
    "datapark_outbox_backlog",
    "Outbox rows not yet sent to Kafka",
    ["service"],
    multiprocess_mode="livemostrecent",
)
OUTBOX_OLDEST_AGE = Gauge(
    "datapark_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unsent outbox row",
    ["service"],
    multiprocess_mode="livemostrecent",
)
OUTBOX_SENT = Counter(
    "datapark_outbox_sent_total", "Outbox rows published to Kafka", ["service", "topic"]
)
# A partition belongs to one consumer of the group at a time; after a rebalance between two
# processes of one pod the previous owner's last value is older: the newest one counts.
CONSUMER_LAG = Gauge(
    "datapark_consumer_lag",
    "Records behind the partition's end",
    ["group", "topic", "partition"],
    multiprocess_mode="livemostrecent",
)
MESSAGES = Counter(
    "datapark_consumer_messages_total",
    "Consumed records by outcome (handled, duplicate, skipped, retried, dead_lettered)",
    ["group", "outcome"],
)


def multiprocess_dir() -> Path | None:
    """The multi-process mode's directory, or None when this process keeps its own values."""
    found = os.environ.get(MULTIPROC_DIR_ENV)
    return Path(found) if found else None


@contextmanager
def multiprocess_values(*, needed: bool) -> Iterator[Path | None]:
    """Prepare multi-process mode before worker processes are started (they read
    ``PROMETHEUS_MULTIPROC_DIR`` when they import prometheus_client).

    A directory given in the environment (a Kubernetes ``emptyDir``, which survives a
    container restart) is emptied of the previous run's values; otherwise, when ``needed``,
    a temporary directory is made for this run and removed when it ends."""
    given = multiprocess_dir()
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        for stale in given.glob("*.db"):
            stale.unlink()
        yield given
        return
    if not needed:
        yield None
        return
    made = Path(tempfile.mkdtemp(prefix="datapark-metrics-"))
    os.environ[MULTIPROC_DIR_ENV] = str(made)
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_DIR_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_processes(directory: Path) -> None:
    """Drop the live-mode gauges of worker processes that are gone (one that crashed or was
    replaced by uvicorn never says so itself): a dead relay must not count as a leader."""
    for found in directory.glob("gauge_live*_*.db"):
        pid = found.stem.rsplit("_", 1)[1]
        if pid.isdigit() and not _running(int(pid)):
            mark_process_dead(int(pid), str(directory))  # type: ignore[no-untyped-call]


def exposition() -> bytes:
    """The text of ``/metrics``: this process's values, or in multi-process mode those of
    every worker process added up."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest()
    forget_dead_processes(directory)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry)
