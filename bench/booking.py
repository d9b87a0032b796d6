"""Booking hold, ``POST /v1/bookings`` over HTTP with CLIENTS concurrent clients, beside pgbench
running the same SQL transaction on the same database in the same run (issue #14).

rental runs as its own process (``python -m datapark_rental``, uvicorn as in production, no
relay or consumer) on a scratch database (created beside the test database, migrated, dropped
at the end), seeded with one lessor, one customer and CLIENTS one-unit offerings; each client
books its own offering, one day after another, so holds never clash. The pgbench script
(``bench/booking_hold.sql``) is the endpoint's transaction as captured from SQLAlchemy (the
participant check, offering, units, lapsed holds, maintenance, booking insert, reservation under
a savepoint, chain head upsert, outbox insert + head advance + NOTIFY), on offerings of its own.
Also: ``GET /v1/bookings`` (first page of the customer's own bookings) beside pgbench of its
SELECT. ``bench/paths.py`` puts these rows in its table (section ``booking``); run alone, this
script prints them.

Run: ``make bench`` (or ``uv run python bench/booking.py``) with the local stack up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.scratch_database import scratch_database  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from bench_support import free_port, pgbench_binary, run_pgbench, service_process  # noqa: E402

from datapark_kit.auth import TokenSigner  # noqa: E402
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
SQL = Path(__file__).with_name("booking_hold.sql")
LIST_SQL = Path(__file__).with_name("booking_list.sql")
PROFILE_FORMAT = (
    ["--format", os.environ["BENCH_PROFILE_FORMAT"]]
    if os.environ.get("BENCH_PROFILE_FORMAT")
    else []
)

SEED = """
INSERT INTO rental.participants (id, name, kind, uscc, region_code, roles, park_member, status,
                                 aggseq, updated_at)
VALUES (md5('bench-lessor')::uuid, 'Bench Lessor Co.', 'company', NULL, '620102',
        '{participant}', false, 'active', 1, now()),
       (md5('bench-customer')::uuid, 'Bench Customer Co.', 'company', NULL, '620102',
        '{customer}', false, 'active', 1, now());
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
async def rental_process(database_url: str) -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATAPARK_RENTAL_DATABASE_URL": database_url,
        "DATAPARK_RENTAL_PORT": str(port),
        "DATAPARK_RENTAL_ENVIRONMENT": "test",
        "DATAPARK_RENTAL_RUN_WORKERS": "false",
        "DATAPARK_RENTAL_LOG_LEVEL": "ERROR",
        "DATAPARK_RENTAL_DATABASE_POOL_SIZE": str(CLIENTS),
    }
    command = [sys.executable, "-m", "datapark_rental"]
    profile = os.environ.get("BENCH_PROFILE")  # make profile TARGET=booking: a py-spy SVG
    if profile:
        spy = str(Path(sys.executable).with_name("py-spy"))
        command = [spy, "record", "--rate", "100", "-o", profile, *PROFILE_FORMAT, "--", *command]
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


async def http_load(url: str, path: str, *, post: bool) -> tuple[float, list[float], int]:
    """Requests/s, latencies (ms) and non-2xx count of CLIENTS clients for SECONDS."""
    headers = {"Authorization": f"Bearer {customer_token()}"}
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as c:

        async def client(i: int, deadline: float, record: bool) -> None:
            nonlocal failed
            offering = str(_md5_uuid(f"bench-offering-{i}"))
            day = 2 if record else 1000
            while time.perf_counter() < deadline:
                start = today + timedelta(days=day)
                day += 1
                began = time.perf_counter()
                if post:
                    body = {
                        "offering_id": offering,
                        "start": start.isoformat(),
                        "end": (start + timedelta(hours=2)).isoformat(),
                    }
                    response = await c.post(path, json=body)
                else:
                    response = await c.get(path)
                if record:
                    latencies.append((time.perf_counter() - began) * 1000)
                    if response.status_code >= 300:
                        failed += 1

        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(client(i, warm, False) for i in range(CLIENTS)))
        began = time.perf_counter()
        deadline = began + SECONDS
        await asyncio.gather(*(client(i, deadline, True) for i in range(CLIENTS)))
        rate = len(latencies) / (time.perf_counter() - began)
    return rate, latencies, failed


def pgbench(database: str, script: Path) -> tuple[float, list[float]] | None:
    binary = pgbench_binary()
    if binary is None:
        return None
    return run_pgbench(binary, script, database, clients=CLIENTS, seconds=SECONDS)


async def measure() -> list[dict[str, object]]:
    """The rows: the hold and the list page beside pgbench, and pgbench's own figures."""
    async with scratch_database(["rental"]) as url:
        database = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(SEED)
        finally:
            await conn.close()
        async with rental_process(url) as base:
            hold = await http_load(base, "/v1/bookings", post=True)
            listing = await http_load(base, "/v1/bookings?limit=50", post=False)
        same = pgbench(database, SQL)
        select = pgbench(database, LIST_SQL)
    print(f"  booking bench non-2xx answers: hold {hold[2]}, list {listing[2]}")
    rows: list[dict[str, object]] = [
        {
            "path": f"booking hold, POST /v1/bookings, {CLIENTS} clients, 1 API process",
            "figure": hold[0],
            "unit": "req/s",
            "baseline_name": "pgbench, the same transaction (bench/booking_hold.sql)",
            "baseline": same[0] if same else None,
            "latencies": hold[1],
        },
        {
            "path": f"GET /v1/bookings, customer's first page, {CLIENTS} clients",
            "figure": listing[0],
            "unit": "req/s",
            "baseline_name": "pgbench, its SELECT (bench/booking_list.sql)",
            "baseline": select[0] if select else None,
            "latencies": listing[1],
        },
    ]
    for label, result in (("the booking transaction", same), ("the list SELECT", select)):
        if result is not None:
            rows.append(
                {
                    "path": f"(reference) pgbench, {label}",
                    "figure": result[0],
                    "unit": "tx/s",
                    "baseline_name": "",
                    "baseline": None,
                    "latencies": result[1],
                }
            )
    return rows


async def main() -> None:
    for found in await measure():
        lat = found["latencies"]
        assert isinstance(lat, list)
        marks = f"{pct(lat, 0.5):.1f} / {pct(lat, 0.95):.1f} / {pct(lat, 0.99):.1f}" if lat else "-"
        print(
            f"{found['path']}: {found['figure']:,.1f} {found['unit']} "
            f"(baseline {found['baseline']}), p50/p95/p99 {marks} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
