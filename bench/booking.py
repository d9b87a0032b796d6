"""Booking hold, ``POST /v1/bookings`` over HTTP with CLIENTS concurrent clients, beside pgbench
running the same SQL transaction on the same database in the same run (issue #14).

rental runs as its own process (``python -m datapark_rental``, uvicorn as in production, no
relay or consumer) on a scratch database (created beside the test database, migrated, dropped
at the end), seeded with one lessor, one customer and CLIENTS one-unit offerings, booked one
day after another so holds never clash (``bench/booking_wrk.lua`` gives every request its own
offering and day; the next free day is carried across runs). The pgbench script
(``bench/booking_hold.sql``) is the endpoint's transaction as captured from SQLAlchemy (the
participant check, offering, units, lapsed holds, maintenance, booking insert, reservation under
a savepoint, chain head upsert, outbox insert + head advance + NOTIFY), on offerings of its own.
Also: ``GET /v1/bookings`` (first page of the customer's own bookings) beside pgbench of its
SELECT, and the floor: ``GET /v1/floor`` of ``bench/booking_floor.py``, an authenticated
endpoint on the same kit stack that runs no SQL (what any request costs before it does
anything). The HTTP paths are measured with each API process count in ``BENCH_WEB_WORKERS``
(default ``1,2``: ``DATAPARK_RENTAL_WEB_WORKERS``, uvicorn workers sharing the socket), the
same pgbench figures beside each. ``bench/paths.py`` puts these rows in its table (section
``booking``); run alone, this script prints them. ``BENCH_BOOKING_PATHS=list`` (or ``hold``)
measures one path only (``make profile TARGET=list``).

The load generator is wrk (C, Debian's package, installed by ``scripts/ensure_wrk.sh``) with
CLIENTS connections over two threads and ``bench/booking_wrk.lua`` (the hold's bodies, the
non-2xx answers, one JSON line of results): it costs 0.02-0.12 ms of CPU a request, so on
the shared 2 cores the figures are the service's, not the client's (the httpx client it replaced
spent 1-2 ms a request, more than the floor endpoint itself). Each run is preceded by a 1 s
warm-up that is not recorded; each row says the service's and wrk's CPU ms a request.

Run: ``make bench`` (or ``uv run python bench/booking.py``) with the local stack up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.scratch_database import scratch_database  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from bench_support import (  # noqa: E402
    SERVICE_PIDS,
    free_port,
    pgbench_binary,
    run_pgbench,
    service_process,
    tree_cpu_seconds,
)

from datapark_kit.auth import TokenSigner  # noqa: E402
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
WEB_WORKERS = [int(n) for n in os.environ.get("BENCH_WEB_WORKERS", "1,2").split(",") if n]
PATHS = set(os.environ.get("BENCH_BOOKING_PATHS", "hold,list,floor").split(","))
# Rounds of every process count, alternating (1, 2, 1, 2, ...): on a shared machine the load
# of others changes by the minute; each row reports the median round.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SQL = Path(__file__).with_name("booking_hold.sql")
LIST_SQL = Path(__file__).with_name("booking_list.sql")
# e.g. "raw" (collapsed stacks), "raw --native" (with C frames), "speedscope"
PROFILE_FORMAT = (
    ["--format", *os.environ["BENCH_PROFILE_FORMAT"].split()]
    if os.environ.get("BENCH_PROFILE_FORMAT")
    else []
)

SEED = """
INSERT INTO rental.participants (id, name, kind, uscc, region_code, roles, park_member, status,
                                 aggseq, updated_at)
VALUES (md5('bench-lessor')::uuid, 'Bench Lessor Co.', 'company', NULL, '620102',
        '{participant}', false, 'active', 1, now()),
       (md5('bench-customer')::uuid, 'Bench Customer Co.', 'company', NULL, '620102',
        '{customer}', false, 'active', 1, now()),
       (md5('bench-pgbench-customer')::uuid, 'Bench pgbench Customer Co.', 'company', NULL,
        '620102', '{customer}', false, 'active', 1, now());
INSERT INTO rental.fleet_units (id, model_id, category, maker, model_name, serial_number,
                                lessor_participant_id, appraised_value, status, aggseq, updated_at)
SELECT md5('bench-unit-' || i)::uuid, md5('bench-model')::uuid, 'industrial_arm', 'Estun',
       'ER-20', 'SN-BENCH-' || i, md5('bench-lessor')::uuid, 1200000.00, 'available', 1, now()
FROM generate_series(0, 299) AS i;
INSERT INTO rental.offerings (id, lessor_participant_id, title, target_kind, unit_id, kit_id,
    unit_ids, category, modes, rate_card, deposit, min_duration_minutes, max_duration_minutes,
    turnaround_before_minutes, turnaround_after_minutes, service_terms, cancellation_policy,
    late_fee_per_hour, available_from, available_until, location, state, aggseq, updated_at)
SELECT md5('bench-offering-' || i)::uuid, md5('bench-lessor')::uuid, 'Welding robot ' || i,
       'unit', md5('bench-unit-' || i)::uuid, NULL, ARRAY[md5('bench-unit-' || i)::uuid],
       'industrial_arm', '{short_term}',
       '{"day": "2000.00", "hour": "100.00", "week": "9000.00", "month": "40000.00"}',
       5000.00, 60, 129600, 30, 60, NULL,
       '[{"fee_rate": "0.2", "notice_minutes": 1440}, {"fee_rate": "0.5", "notice_minutes": 0}]',
       NULL, now() - interval '1 day', NULL, 'Hall 3', 'published', 1, now()
FROM generate_series(0, 299) AS i;
"""


@contextlib.asynccontextmanager
async def rental_process(
    database_url: str, workers: int = 1, *, floor: bool = False
) -> AsyncIterator[str]:
    """rental (or, with ``floor``, bench/booking_floor.py's trivial authenticated endpoint on
    the same stack) as its own process with ``workers`` API processes."""
    port = free_port()
    env = {
        **os.environ,
        "DATAPARK_RENTAL_DATABASE_URL": database_url,
        "DATAPARK_RENTAL_PORT": str(port),
        "DATAPARK_RENTAL_ENVIRONMENT": "test",
        "DATAPARK_RENTAL_RUN_WORKERS": "false",
        "DATAPARK_RENTAL_LOG_LEVEL": "ERROR",
        "DATAPARK_RENTAL_WEB_WORKERS": str(workers),
        # the clients' connections are shared out over the processes (each may overflow x2)
        "DATAPARK_RENTAL_DATABASE_POOL_SIZE": str(max(1, CLIENTS // workers)),
    }
    command = [sys.executable, "-m", "datapark_rental"]
    if floor:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")])
        )
        command = [sys.executable, str(ROOT / "bench" / "booking_floor.py")]
    profile = os.environ.get("BENCH_PROFILE")  # make profile TARGET=booking: a py-spy SVG
    if profile:
        spy = str(Path(sys.executable).with_name("py-spy"))
        command = [
            *(spy, "record", "--rate", "100", "-o", profile, *PROFILE_FORMAT),
            *(["--subprocesses"] if workers > 1 else []),
            *("--", *command),
        ]
    # py-spy writes its graph on SIGINT and passes the stop on to uvicorn.
    stop = signal.SIGINT if profile else signal.SIGTERM
    async with service_process(
        command, env, port, polls=300, stop_signal=stop, stop_timeout=60
    ) as url:
        yield url


def customer_token() -> str:
    signer = TokenSigner(
        DEV_JWT_PRIVATE_KEY_PEM,
        key_id="datapark-dev-1",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=3600,
    )
    return signer.issue(
        client_id="bench-customer", participant_id=_md5_uuid("bench-customer"), roles=["customer"]
    )


def _md5_uuid(text: str) -> uuid.UUID:
    import hashlib

    return uuid.UUID(hashlib.md5(text.encode()).hexdigest())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


WRK = shutil.which("wrk")
WRK_SCRIPT = Path(__file__).with_name("booking_wrk.lua")
# wrk's threads: one epoll loop each, every one owning CLIENTS / WRK_THREADS connections. Two,
# one a core of this 2-core machine: one thread would cap the generator at one core while the
# floor asks for thousands of requests a second, more would only switch on the same cores
# (which the service and Postgres share).
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))

# The next free booking day of the bench's offerings after day 0 (today at 09:00 UTC when the
# bench started), kept across runs (1 and 2 API processes book the same offerings): a hold never
# meets another one, even across midnight.
_next_day = 2
_DAY_ZERO = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Load:
    """One wrk run: requests/s, latencies (ms, one a completed request), non-2xx answers, and
    CPU ms a request of the service (all its processes, user + system) and of wrk."""

    rate: float
    latencies: list[float]
    failed: int
    cpu_ms: float
    wrk_cpu_ms: float


async def _wrk(url: str, path: str, *, post: bool, seconds: float) -> dict[str, Any]:
    """Run wrk for ``seconds`` with CLIENTS connections; its JSON line (booking_wrk.lua's
    done()) with its own CPU seconds under ``wrk_cpu``."""
    global _next_day
    assert WRK is not None
    args = ["get", str(WRK_THREADS)]
    if post:
        offerings = [str(_md5_uuid(f"bench-offering-{i}")) for i in range(CLIENTS)]
        args = [
            "hold",
            str(WRK_THREADS),
            str(_next_day),
            str(int(_DAY_ZERO.timestamp())),
            *offerings,
        ]
    command = [
        WRK,
        *("-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{max(1, round(seconds))}s"),
        *("--timeout", "30s", "-H", f"Authorization: Bearer {customer_token()}"),
        *("-s", str(WRK_SCRIPT), f"{url}{path}", "--", *args),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped since
    lines = [line for line in out.decode().splitlines() if line.startswith("wrk-result ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk failed (exit {process.returncode}) on {path}: {err.decode().strip()[-400:]}"
        )
    found: dict[str, Any] = json.loads(lines[-1].removeprefix("wrk-result "))
    if post:
        _next_day = max(_next_day, int(found["last_day"]) + 1)
    found["wrk_cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return found


async def http_load(url: str, path: str, *, post: bool, seconds: float = SECONDS) -> Load:
    """CLIENTS connections on ``path`` for SECONDS after a 1 s warm-up that is not recorded
    (the answers' statuses printed when any was not 2xx)."""
    await _wrk(url, path, post=post, seconds=1.0)
    cpu_before = tree_cpu_seconds(SERVICE_PIDS[url])
    found = await _wrk(url, path, post=post, seconds=seconds)
    cpu = tree_cpu_seconds(SERVICE_PIDS[url]) - cpu_before
    done = max(1, int(found["requests"]))
    latencies = [value / 1000 for value, count in found["latency_us"] for _ in range(int(count))]
    load = Load(
        rate=found["requests"] / (found["duration_us"] / 1e6),
        latencies=latencies,
        failed=int(found["non_2xx"]),
        cpu_ms=cpu * 1000 / done,
        wrk_cpu_ms=found["wrk_cpu"] * 1000 / done,
    )
    # the load generator's own CPU competes for the same cores
    print(
        f"  {path}: service {load.cpu_ms:.1f} ms CPU a request, "
        f"load generator (wrk) {load.wrk_cpu_ms:.2f} ms"
    )
    sockets = {kind: n for kind, n in found["socket_errors"].items() if n}
    if sockets:
        print(f"  {path}: wrk socket errors {sockets}")
    for status, count in sorted(found["statuses"].items(), key=lambda item: -item[1]):
        print(f"  {path}: {count} x {status}")
    for sample in found["samples"][:3]:
        print(f"  {path}: e.g. {sample}")
    return load


def pgbench(database: str, script: Path) -> tuple[float, list[float]] | None:
    binary = pgbench_binary()
    if binary is None:
        return None
    return run_pgbench(binary, script, database, clients=CLIENTS, seconds=SECONDS)


def _median_round(
    rounds: list[Load],
) -> Load:
    """The round with the median rate (the lower middle one of an even number)."""
    return sorted(rounds, key=lambda found: found.rate)[(len(rounds) - 1) // 2]


def _http_row(
    label: str,
    workers: int,
    result: Load,
    baseline_name: str,
    baseline: tuple[float, list[float]] | None,
) -> dict[str, object]:
    processes = f"{workers} API process" + ("es" if workers > 1 else "")
    return {
        "path": (
            f"{label}, {CLIENTS} clients, {processes} ({result.cpu_ms:.1f} ms CPU a request; "
            f"wrk {result.wrk_cpu_ms:.2f} ms)"
        ),
        "figure": result.rate,
        "unit": "req/s",
        "baseline_name": baseline_name,
        "baseline": baseline[0] if baseline else None,
        "latencies": result.latencies,
    }


async def measure() -> list[dict[str, object]]:
    """The rows: the hold and the list page with each API process count beside pgbench, and
    pgbench's own figures."""
    holds: dict[int, list[Load]] = {}
    lists: dict[int, list[Load]] = {}
    floors: dict[int, list[Load]] = {}
    if WRK is None and PATHS & {"hold", "list", "floor"}:
        # make bench / make profile install it first (scripts/ensure_wrk.sh)
        raise SystemExit(
            "bench/booking.py: wrk (the HTTP load generator) is not on PATH: "
            "run `bash scripts/ensure_wrk.sh` (Debian package wrk) or `make bench`"
        )
    async with scratch_database(["rental"]) as url:
        database = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(SEED)
        finally:
            await conn.close()
        same = pgbench(database, SQL) if "hold" in PATHS else None
        for _ in range(ROUNDS):
            for workers in WEB_WORKERS:
                async with rental_process(url, workers) as base:
                    if "hold" in PATHS:
                        found = await http_load(base, "/v1/bookings", post=True)
                        holds.setdefault(workers, []).append(found)
                    elif not lists:  # the list alone: some bookings to list first
                        await http_load(base, "/v1/bookings", post=True, seconds=1)
                    if "list" in PATHS:
                        found = await http_load(base, "/v1/bookings?limit=50", post=False)
                        lists.setdefault(workers, []).append(found)
                if "floor" in PATHS:
                    async with rental_process(url, workers, floor=True) as base:
                        found = await http_load(base, "/v1/floor", post=False)
                        floors.setdefault(workers, []).append(found)
        select = pgbench(database, LIST_SQL) if "list" in PATHS else None
    for name, by_count in (("hold", holds), ("list", lists), ("floor", floors)):
        for workers, measured in by_count.items():
            rates = ", ".join(f"{r.rate:,.1f}" for r in measured)
            print(f"  {name}, {workers} API processes, req/s by round: {rates}")
    for workers in WEB_WORKERS:
        failed = [
            f"{name} {sum(r.failed for r in by_count[workers])}"
            for name, by_count in (("hold", holds), ("list", lists), ("floor", floors))
            if workers in by_count
        ]
        print(f"  booking bench non-2xx answers, {workers} API processes: {', '.join(failed)}")
    rows: list[dict[str, object]] = []
    for workers, rounds in holds.items():
        rows.append(
            _http_row(
                "booking hold, POST /v1/bookings",
                workers,
                _median_round(rounds),
                "pgbench, the same transaction (bench/booking_hold.sql)",
                same,
            )
        )
    for workers, rounds in lists.items():
        rows.append(
            _http_row(
                "GET /v1/bookings, customer's first page",
                workers,
                _median_round(rounds),
                "pgbench, its SELECT (bench/booking_list.sql)",
                select,
            )
        )
    for workers, rounds in floors.items():
        rows.append(
            _http_row(
                "(reference) GET /v1/floor: authenticated, no SQL, the same kit stack",
                workers,
                _median_round(rounds),
                "",
                None,
            )
        )
    for label, bench in (("the booking transaction", same), ("the list SELECT", select)):
        if bench is not None:
            rows.append(
                {
                    "path": f"(reference) pgbench, {label}, {CLIENTS} clients",
                    "figure": bench[0],
                    "unit": "tx/s",
                    "baseline_name": "",
                    "baseline": None,
                    "latencies": bench[1],
                }
            )
    return rows


async def main() -> None:
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    for found in await measure():
        lat = found["latencies"]
        assert isinstance(lat, list)
        marks = f"{pct(lat, 0.5):.1f} / {pct(lat, 0.95):.1f} / {pct(lat, 0.99):.1f}" if lat else "-"
        figure, baseline = found["figure"], found["baseline"]
        assert isinstance(figure, float)
        ratio = f", ratio {figure / baseline:.2f}" if isinstance(baseline, float) else ""
        print(
            f"{found['path']}: {figure:,.1f} {found['unit']} "
            f"(baseline {baseline if baseline is None else f'{baseline:,.1f}'}{ratio}), "
            f"p50/p95/p99 {marks} ms"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
