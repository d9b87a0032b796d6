"""A service served by two worker processes (``DATAPARK_<SVC>_WEB_WORKERS=2``), started as
in production (``python -m datapark_rental``) on a scratch database: both processes answer
requests, ``/metrics`` adds up the counts of both whichever one answers the scrape, exactly one
of the two relays leads, and when the leading process is killed uvicorn replaces it and the
other relay takes over, the dead process no longer counted as a leader."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from support.helpers import eventually
from support.scratch_database import scratch_database

# Two processes, each importing the service and starting a relay and a consumer: slow to start
# on a loaded 2-core machine, hence one service for the module and a longer bound.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[3]
ROUTE = "/v1/bookings"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_files(directory: Path, kind: str) -> dict[int, Path]:
    found = {}
    for path in directory.glob(f"{kind}_*.db"):
        pid = path.stem.rsplit("_", 1)[1]
        if pid.isdigit():
            found[int(pid)] = path
    return found


def _samples(directory: Path, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples with these labels in a multi-process directory."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def _one_process(path: Path, tmp: Path, name: str, **labels: str) -> float:
    """``name``'s value in one process's file alone (copied into a directory of its own)."""
    alone = Path(tempfile.mkdtemp(dir=tmp))
    shutil.copy(path, alone / path.name)
    return _samples(alone, name, **labels)


def _requests_by_process(directory: Path, tmp: Path) -> dict[int, float]:
    return {
        pid: _one_process(path, tmp, "datapark_http_requests_total", route=ROUTE)
        for pid, path in _pid_files(directory, "counter").items()
    }


def _scraped(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        found = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if found is None:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(found.group(2))
    return total


@pytest.fixture(scope="module")
async def two_workers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Path]]:
    metrics_dir = tmp_path_factory.mktemp("web-workers") / "metrics"
    metrics_dir.mkdir()
    # left by a previous run in the same directory: must not count
    (metrics_dir / "counter_999999.db").write_bytes(b"\0" * 16)
    async with scratch_database(["rental"]) as url:
        port = _free_port()
        env = {
            **os.environ,
            "DATAPARK_RENTAL_DATABASE_URL": url,
            "DATAPARK_RENTAL_PORT": str(port),
            "DATAPARK_RENTAL_ENVIRONMENT": "test",
            "DATAPARK_RENTAL_WEB_WORKERS": "2",
            "DATAPARK_RENTAL_RUN_WORKERS": "true",
            "DATAPARK_RENTAL_RELAY_POLL_SECONDS": "0.2",
            # a group of its own (not the rental group of the other tests), kept between runs
            # so that a run reads only what was published since the previous one
            "DATAPARK_RENTAL_CONSUMER_GROUP_PREFIX": "test-kit-web-workers-",
            "DATAPARK_RENTAL_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, stopped below
            [sys.executable, "-m", "datapark_rental"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:

            async def healthy() -> bool:
                try:
                    async with httpx.AsyncClient(base_url=base) as client:
                        return (await client.get("/healthz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(healthy, timeout=180, interval=0.2)
            yield base, metrics_dir
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


async def test_two_worker_processes_serve_and_metrics_add_up(
    two_workers: tuple[str, Path], tmp_path: Path
) -> None:
    base, metrics_dir = two_workers
    assert not (metrics_dir / "counter_999999.db").exists()

    # One connection per request, so the kernel hands them to either process.
    sent = 0
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, limits=fresh) as client:
        while sent < 100 or (
            sent < 3000
            and len([n for n in _requests_by_process(metrics_dir, tmp_path).values() if n]) < 2
        ):
            answers = await asyncio.gather(*(client.get(ROUTE) for _ in range(20)))
            assert {a.status_code for a in answers} == {401}
            sent += len(answers)
        scrape = (await client.get("/metrics")).text

    per_process = _requests_by_process(metrics_dir, tmp_path)
    served = [count for count in per_process.values() if count > 0]
    assert len(served) == 2, per_process
    assert sum(served) == sent
    # the scrape, answered by one of them, counts both processes' requests
    assert _scraped(scrape, "datapark_http_requests_total", route=ROUTE, status="401") == sent
    assert _scraped(scrape, "datapark_http_request_duration_seconds_count", route=ROUTE) == sent


async def test_exactly_one_relay_leads_and_a_killed_leader_is_replaced(
    two_workers: tuple[str, Path], tmp_path: Path
) -> None:
    base, metrics_dir = two_workers
    leader_gauge = "datapark_relay_leader"

    # One connection per request, as a client reconnects after a process dies: a kept-alive
    # connection that the killed process was serving dies with it.
    client = httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_keepalive_connections=0))

    async def leaders() -> tuple[int, int] | None:
        """(leader pid, standby pid) once the scrape counts one leader and each of the two
        processes' own values say which (1 and 0)."""
        text = (await client.get("/metrics")).text
        files = _pid_files(metrics_dir, "gauge_livesum")
        # both processes run a relay (each reports its gauge), one of them leads
        if len(files) != 2 or _scraped(text, leader_gauge, service="rental") != 1:
            return None
        values = {
            pid: _one_process(path, tmp_path, leader_gauge, service="rental")
            for pid, path in files.items()
        }
        if sorted(values.values()) != [0.0, 1.0]:
            return None
        return (
            next(pid for pid, value in values.items() if value == 1.0),
            next(pid for pid, value in values.items() if value == 0.0),
        )

    try:
        leader, standby = await eventually(leaders, timeout=120, interval=0.2)
        os.kill(leader, signal.SIGKILL)
        await _taken_over_and_replaced(client, metrics_dir, tmp_path, leader, standby)
    finally:
        await client.aclose()


async def _taken_over_and_replaced(
    client: httpx.AsyncClient, metrics_dir: Path, tmp_path: Path, leader: int, standby: int
) -> None:
    leader_gauge = "datapark_relay_leader"

    async def scrape() -> str | None:
        try:
            return (await client.get("/metrics")).text
        except httpx.TransportError:
            return None  # a request the killed process had accepted

    async def taken_over() -> bool:
        text = await scrape()
        if text is None:
            return False
        files = _pid_files(metrics_dir, "gauge_livesum")
        if leader in files or standby not in files:
            return False  # the dead process not yet forgotten
        return _scraped(text, leader_gauge, service="rental") == 1

    async def replaced() -> bool:
        if await scrape() is None:
            return False
        return len(_pid_files(metrics_dir, "gauge_livesum")) == 2

    await eventually(taken_over, timeout=60, interval=0.2)
    files = _pid_files(metrics_dir, "gauge_livesum")
    assert _one_process(files[standby], tmp_path, leader_gauge, service="rental") == 1
    # uvicorn starts a new process in place of the dead one: a standby
    await eventually(replaced, timeout=180, interval=0.5)
    text = (await client.get("/metrics")).text
    assert _scraped(text, leader_gauge, service="rental") == 1
