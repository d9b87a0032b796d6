"""What several benchmarks share: a free local port, a datapark service started as its own
process (ready once ``/healthz`` answers), and pgbench runs with their per-transaction log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parents[1]
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")


SERVICE_PIDS: dict[str, int] = {}
"""The process id of each running :func:`service_process`, by its base URL."""


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by ``root`` and every process below it (the
    uvicorn supervisor and its workers), from /proc; 0.0 where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    tree = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(below)
        tree |= below
    return sum(used.get(pid, 0.0) for pid in tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def service_process(
    command: Sequence[str],
    env: dict[str, str],
    port: int,
    *,
    polls: int,
    stop_signal: signal.Signals = signal.SIGTERM,
    stop_timeout: float,
) -> AsyncIterator[str]:
    """Run ``command`` (a service listening on ``port``); its base URL once ``/healthz`` says
    200 (``polls`` tries, 0.1 s apart); stopped with ``stop_signal`` afterwards."""
    # BENCH_SERVICE_LOG=<file>: the service's output appended there (else discarded)
    log_path = os.environ.get("BENCH_SERVICE_LOG")
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115, ASYNC230
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is measured
        list(command),
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=output,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(polls):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        SERVICE_PIDS[url] = process.pid
        yield url
    finally:
        SERVICE_PIDS.pop(url, None)
        process.send_signal(stop_signal)
        process.wait(timeout=stop_timeout)
        if not isinstance(output, int):
            output.close()


def pgbench_binary() -> str | None:
    """pgbench on PATH or in the Debian PostgreSQL packages' directory; None (and a note
    printed) where it is not installed."""
    binary = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if binary is None:
        print("  (pgbench skipped: not installed; Debian: postgresql-client)")
        return None
    return str(binary)


def run_pgbench(
    binary: str, script: Path, database: str, *, clients: int, seconds: float
) -> tuple[float, list[float]] | None:
    """Run ``script`` with ``clients`` connections for ``seconds``: transactions per second
    and every transaction's latency in ms (from pgbench's log); None if pgbench failed."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                binary,
                "-n",
                "-h",
                "127.0.0.1",
                "-p",
                PG_PORT,
                "-U",
                "datapark",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(int(seconds)),
                "-f",
                str(script),
                "-l",
                "--log-prefix",
                f"{tmp}/log",
                database,
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PGPASSWORD": "datapark"},
            timeout=120,
        )
        if done.returncode != 0:
            print(f"  (pgbench failed: {done.stderr.strip()[-600:]})")
            return None
        found = re.search(r"tps = ([\d.]+)", done.stdout)
        if found is None:
            return None
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(tmp).glob("log*")
            for line in log.read_text().splitlines()
            if line.strip()
        ]
    return float(found.group(1)), latencies


async def read_back(consumer: AIOKafkaConsumer, marker: bytes, *, timeout_ms: int) -> None:
    """Poll ``consumer`` (``timeout_ms`` a poll) until it has read the record whose value is
    ``marker``: the far end of a produce -> consume round trip."""
    got = False
    while not got:
        for records in (await consumer.getmany(timeout_ms=timeout_ms)).values():
            got = got or any(r.value == marker for r in records)


def write_section(doc: Path, begin: str, end: str, lines: Sequence[str]) -> None:
    """Put ``lines`` between the markers ``begin`` and ``end`` in ``doc`` (a benchmark's own
    section of docs/performance.md), replacing what stood there; appended, markers and all,
    when the document does not have them yet."""
    section = "\n".join([begin, *lines, end])
    current = doc.read_text() if doc.exists() else "# Performance\n"
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        doc.write_text(before + section + rest.split(end, 1)[1])
    else:
        doc.write_text(current.rstrip("\n") + "\n\n" + section + "\n")
