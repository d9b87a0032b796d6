"""Scaling curves: the same request at 1x, 10x and 100x data, beside baselines from the same run.

Each size is generated directly in SQL in a scratch database of its own (created beside the
test database, migrated, dropped at the end; the real databases and topics are never touched),
all sizes side by side, and each path is timed through the service app in-process (httpx's ASGI
transport, one client, no network) in short turns across the sizes, so that whatever else the
machine does at that moment falls on every size alike:

- catalog ``GET /v1/listings``: first page, a page half-way down by cursor, text 数据 (a third
  of the products), text 负荷 (one product in a hundred), text 第7号 (one product), a venue;
  rental offerings only, text 消防 (one offering in a hundred);
  the search's own SQL for the first page, the half-way page and text 负荷 run directly on
  the driver beside them; sizes in products, of which nine in ten have
  a venue listing and one in ten brings a rental offering (100,000 products = 90,000 venue
  listings + 10,000 offerings = 100,000 listing rows);
- rental ``GET /v1/bookings``: an operator's first page and a page half-way down, a
  customer's own first page (one customer in a thousand bookings);
- replay: the platform's replay (every event hash checked) and ``datapark-audit verify`` over
  10,000, 100,000 and 1,000,000 chained events with their signed checkpoints, each beside a raw
  aiokafka read of the same records in the same round, three rounds a size
  (``DATAPARK_BENCH_ROUNDS``), every round printed and the medians in the table (the events,
  topics and reads of ``bench/audit_verify.py``; scratch topics, deleted afterwards).

Baselines, same run and same sizes: ``GET /healthz`` through the same app (the fixed cost of a
request), ``GET /v1/venues`` (the fixed cost of an authenticated request with a unit of work and
one tiny query), and the search's own SQL run directly on asyncpg (what the database does).
The shape printed is the growth from the smallest to the largest size: flat (x <= 1.5),
log-like (growing, but slower than the square root of the data), or linear-like.

Run: ``make bench`` (or ``uv run python bench/scaling.py [--sizes 1000,10000,100000]``) with
the local stack up. Writes its table into ``docs/performance.md`` (section "Scaling curves").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import re
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bench_support import write_section  # noqa: E402
from integration.catalog.catalog_search_volume import (  # noqa: E402
    NEEDLE,
    OFFERING_NEEDLE,
    add_catalog_volume,
)
from support.rental_volume import GENERATED_BOOKINGS  # noqa: E402
from support.scratch_database import scratch_database  # noqa: E402

from datapark_catalog.app import build_app as build_catalog  # noqa: E402
from datapark_catalog.listings.repository import SearchRepository  # noqa: E402
from datapark_catalog.listings.search import Cursor, SearchFilter, encode_cursor  # noqa: E402
from datapark_catalog.settings import CatalogSettings  # noqa: E402
from datapark_kit.auth import TokenSigner  # noqa: E402
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM  # noqa: E402
from datapark_kit.pagination import encode_cursor as encode_id_cursor  # noqa: E402
from datapark_rental.app import build_app as build_rental  # noqa: E402
from datapark_rental.settings import RentalSettings  # noqa: E402

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
REQUESTS = int(os.environ.get("DATAPARK_BENCH_REQUESTS", "200"))
WARMUP = 20
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"


@dataclass
class Curve:
    name: str
    samples: dict[int, list[float]] = field(default_factory=dict)

    def p50(self, size: int) -> float:
        return statistics.median(self.samples[size])

    def p95(self, size: int) -> float:
        ordered = sorted(self.samples[size])
        return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


Call = Callable[[], Awaitable[None]]


def signer() -> TokenSigner:
    return TokenSigner(
        DEV_JWT_PRIVATE_KEY_PEM,
        key_id="datapark-dev-1",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=3600,
    )


def bearer(*roles: str, participant_id: uuid.UUID | None = None) -> dict[str, str]:
    pid = participant_id or uuid.uuid4()
    jwt = signer().issue(client_id=f"bench-{pid}", participant_id=pid, roles=list(roles))
    return {"Authorization": f"Bearer {jwt}"}


def get(client: httpx.AsyncClient, path: str, **kw: Any) -> Call:
    async def call() -> None:
        response = await client.get(path, **kw)
        if response.status_code != 200:
            raise RuntimeError(f"{path} -> {response.status_code} {response.text}")

    return call


def direct(engine: AsyncEngine, f: SearchFilter, after: Cursor | None) -> Call:
    """The search's own statement, compiled once, run straight on the driver (no app, no ORM,
    the same pooled connection kind the app uses)."""
    query = SearchRepository.statement(f, after, f.limit + 1, products=True, offerings=True)
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    params = tuple(compiled.params[n] for n in compiled.positiontup or ())

    async def call() -> None:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.fetch(sql, *params)  # type: ignore[union-attr]

    return call


async def vacuum(engine: AsyncEngine, schema: str, tables: Sequence[str]) -> None:
    """What autovacuum does after a bulk load: planner statistics and GIN entry counts."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await conn.execute(text(f"VACUUM ANALYZE {schema}.{table}"))


async def interleaved(calls: dict[int, dict[str, Call]], rounds: int = 10) -> list[Curve]:
    """Time every path at every size in short turns (``REQUESTS / rounds`` requests each),
    so that whatever else the machine does falls on all sizes and paths alike."""
    curves: dict[str, Curve] = {}
    sizes = sorted(calls)
    for by_path in calls.values():
        for call in by_path.values():
            for _ in range(WARMUP):
                await call()
    turn = max(1, REQUESTS // rounds)
    for round_ in range(rounds):
        # Each round starts its turns at another size: the first turn after a path switch
        # ran slower (the authenticated baseline grew x0.76-x0.92 from 1,000 to 100,000 in
        # five catalog runs when the smallest size always went first).
        order = sizes[round_ % len(sizes) :] + sizes[: round_ % len(sizes)]
        for name in calls[sizes[0]]:
            curve = curves.setdefault(name, Curve(name))
            for size in order:
                call = calls[size][name]
                samples = curve.samples.setdefault(size, [])
                for _ in range(turn):
                    started = time.perf_counter()
                    await call()
                    samples.append((time.perf_counter() - started) * 1000)
    for curve in curves.values():
        cells = "  ".join(f"{s:>7,}: {curve.p50(s):6.2f}" for s in sizes)
        print(f"  {curve.name:<50} p50 ms  {cells}", flush=True)
    return list(curves.values())


def client_of(app: Any, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


async def catalog_curves(sizes: Sequence[int]) -> list[Curve]:
    reader = bearer("customer")
    calls: dict[int, dict[str, Call]] = {}
    async with contextlib.AsyncExitStack() as stack:
        for size in sizes:
            url = await stack.enter_async_context(scratch_database(["catalog"]))
            # The text statement for both kinds is over asyncpg's default 15 kB limit for its
            # statement cache, which ``direct``'s raw fetch goes through (the app's
            # statements are prepared and cached by SQLAlchemy, whatever their size).
            engine = create_async_engine(url, connect_args={"max_cacheable_statement_size": 65536})
            stack.push_async_callback(engine.dispose)
            started = time.perf_counter()
            async with engine.begin() as conn:
                await add_catalog_volume(conn, 1, size, EPOCH)
            await vacuum(engine, "catalog", ("data_products", "venue_listings", "rental_offerings"))
            print(f"catalog: {size:,} products loaded in {time.perf_counter() - started:.1f} s")
            settings = CatalogSettings(
                database_url=url,
                environment="test",
                log_json=False,
                log_level="WARNING",
                run_workers=False,
            )
            manager = await stack.enter_async_context(LifespanManager(build_catalog(settings)))
            client = await stack.enter_async_context(client_of(manager.app, "catalog.bench"))
            half = Cursor(EPOCH + timedelta(seconds=size // 2), uuid.UUID(int=0))
            search = "/v1/listings"
            calls[size] = {
                "baseline: GET /healthz (same app)": get(client, "/healthz"),
                "baseline: GET /v1/venues (authenticated, 3 rows)": get(
                    client, "/v1/venues", headers=reader
                ),
                "baseline: search SQL direct, first page": direct(engine, SearchFilter(), None),
                "baseline: search SQL direct, half-way page": direct(engine, SearchFilter(), half),
                f"baseline: search SQL direct, text={NEEDLE}": direct(
                    engine, SearchFilter(text=NEEDLE), None
                ),
                "GET /v1/listings first page": get(client, search, headers=reader),
                "GET /v1/listings half-way page (cursor)": get(
                    client, search, headers=reader, params={"cursor": encode_cursor(half)}
                ),
                "GET /v1/listings text=数据 (1 in 3)": get(
                    client, search, headers=reader, params={"text": "数据"}
                ),
                f"GET /v1/listings text={NEEDLE} (1 in 100)": get(
                    client, search, headers=reader, params={"text": NEEDLE}
                ),
                "GET /v1/listings text=第7号 (1 product)": get(
                    client, search, headers=reader, params={"text": "第7号"}
                ),
                "GET /v1/listings venue=SZDE": get(
                    client, search, headers=reader, params={"venue": "SZDE"}
                ),
                f"GET /v1/listings offerings text={OFFERING_NEEDLE} (1 in 100)": get(
                    client,
                    search,
                    headers=reader,
                    params={"kind": "rental_offering", "text": OFFERING_NEEDLE},
                ),
            }
        return await interleaved(calls)


async def rental_curves(sizes: Sequence[int]) -> list[Curve]:
    operator = bearer("operator")
    customer = bearer("customer", participant_id=uuid.UUID("00000000-0000-7000-9000-000000000007"))
    calls: dict[int, dict[str, Call]] = {}
    async with contextlib.AsyncExitStack() as stack:
        for size in sizes:
            url = await stack.enter_async_context(scratch_database(["rental"]))
            engine = create_async_engine(url)
            stack.push_async_callback(engine.dispose)
            started = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(GENERATED_BOOKINGS, {"first": 1, "last": size, "epoch": EPOCH})
            await vacuum(engine, "rental", ("bookings",))
            print(f"rental: {size:,} bookings loaded in {time.perf_counter() - started:.1f} s")
            settings = RentalSettings(
                database_url=url,
                environment="test",
                log_json=False,
                log_level="WARNING",
                run_workers=False,
            )
            manager = await stack.enter_async_context(LifespanManager(build_rental(settings)))
            client = await stack.enter_async_context(client_of(manager.app, "rental.bench"))
            half = encode_id_cursor(f"00000000-0000-7000-8000-{size // 2:012x}")
            calls[size] = {
                "baseline: GET /healthz (rental app)": get(client, "/healthz"),
                "GET /v1/bookings operator, first page (50)": get(
                    client, "/v1/bookings", headers=operator
                ),
                "GET /v1/bookings operator, half-way page": get(
                    client, "/v1/bookings", headers=operator, params={"cursor": half}
                ),
                "GET /v1/bookings customer (1 in 1000), first page": get(
                    client, "/v1/bookings", headers=customer
                ),
            }
        return await interleaved(calls)


def shape(curve: Curve) -> tuple[float, str]:
    sizes = sorted(curve.samples)
    low, high = curve.p50(sizes[0]), curve.p50(sizes[-1])
    growth = high / low
    exponent = math.log(growth) / math.log(sizes[-1] / sizes[0]) if growth > 1 else 0.0
    if growth <= 1.5:
        return growth, "flat"
    if exponent < 0.5:
        return growth, "log-like"
    return growth, "linear-like"


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+) kB", meminfo.read_text())
        memory = f", {int(found.group(1)) / 1024 / 1024:.0f} GiB RAM" if found else ""
    return (
        f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def table(curves: Sequence[Curve], sizes: Sequence[int]) -> list[str]:
    head = " | ".join(f"p50 at {s:,}" for s in sizes)
    lines = [
        f"| path | {head} | p95 at {sizes[-1]:,} | growth | shape |",
        "|---" * (len(sizes) + 4) + "|",
    ]
    for curve in curves:
        growth, kind = shape(curve)
        cells = " | ".join(f"{curve.p50(s):.2f} ms" for s in sizes)
        lines.append(
            f"| {curve.name} | {cells} | {curve.p95(sizes[-1]):.2f} ms | x{growth:.2f} | {kind} |"
        )
    return lines


REPLAY_ROUNDS = int(os.environ.get("DATAPARK_BENCH_ROUNDS", "3"))


@dataclass
class ReplayRound:
    """One round over one size: each read's records/s and CPU µs per record, in one process."""

    raw_rate: float
    raw_cpu: float
    replay_rate: float
    replay_cpu: float
    verify_rate: float
    verify_cpu: float
    clean: bool
    load: float


@dataclass
class Replay:
    size: int
    rounds: list[ReplayRound]

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in self.rounds))

    def ratios(self, name: str) -> list[float]:
        """Each round's rate over the raw read's rate of the same round."""
        return [getattr(r, f"{name}_rate") / r.raw_rate for r in self.rounds]

    @property
    def clean(self) -> bool:
        return all(r.clean for r in self.rounds)


async def replay_curve(sizes: Sequence[int]) -> list[Replay]:
    """The platform's replay and ``datapark-audit verify`` over 1x, 10x, 100x events, each beside
    a raw aiokafka read of the same records in the same round, :data:`REPLAY_ROUNDS` rounds per
    size, each size in scratch topics created and deleted here (never a real topic). The events,
    their checkpoints and the three reads are ``bench/audit_verify.py``'s."""
    sys.path.insert(0, str(ROOT / "bench"))
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from audit_verify import KAFKA as BROKER
    from audit_verify import iter_envelopes, produce, raw_read, replay_read

    from datapark_audit.cli import run_verify
    from datapark_audit.settings import AuditSettings

    out: list[Replay] = []
    for size in sizes:
        suffix = uuid.uuid4().hex[:8]
        data, audit = f"bench.scaling.{suffix}", f"bench.scaling.{suffix}.checkpoints"
        admin = AIOKafkaAdminClient(bootstrap_servers=BROKER)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(data, 6, 1), NewTopic(audit, 1, 1)])
            started = time.perf_counter()
            await produce(data, audit, iter_envelopes(size))
            print(f"replay: {size:,} events written in {time.perf_counter() - started:.1f} s")
            item = Replay(size, [])
            for turn in range(1, REPLAY_ROUNDS + 1):
                cpu = time.process_time()
                count, seconds = await raw_read(data)
                raw_cpu = (time.process_time() - cpu) / count * 1e6
                cpu = time.process_time()
                replayed, replay_seconds = await replay_read(data, reference=False)
                replay_cpu = (time.process_time() - cpu) / replayed * 1e6
                cpu = time.process_time()
                started = time.perf_counter()
                result = await run_verify(AuditSettings(bootstrap=BROKER), topics=[data, audit])
                verify_seconds = time.perf_counter() - started
                verify_cpu = (time.process_time() - cpu) / result.records * 1e6
                row = ReplayRound(
                    count / seconds,
                    raw_cpu,
                    replayed / replay_seconds,
                    replay_cpu,
                    result.records / verify_seconds,
                    verify_cpu,
                    result.clean,
                    os.getloadavg()[0],
                )
                item.rounds.append(row)
                print(
                    f"  round {turn}: raw read {row.raw_rate:,.0f}/s ({raw_cpu:.1f} µs CPU a "
                    f"record); replay {row.replay_rate:,.0f}/s = "
                    f"{row.replay_rate / row.raw_rate:.2f}x ({replay_cpu:.1f} µs); verify "
                    f"{row.verify_rate:,.0f}/s = {row.verify_rate / row.raw_rate:.2f}x "
                    f"({verify_cpu:.1f} µs), clean={row.clean}; load average {row.load:.1f}",
                    flush=True,
                )
            out.append(item)
        finally:
            await admin.delete_topics([data, audit])
            await admin.close()
    return out


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def replay_table(rows: Sequence[Replay]) -> list[str]:
    lines = [
        "Medians of the rounds; the ratios are each round's rate over the raw read's in the "
        "same round (median, then the lowest and highest round). Every read is one process, "
        "timed from its client's start to its last record (verify: to its result); CPU is "
        "the process's µs per record.",
        "",
        "| events | rounds | raw aiokafka read | replay | replay / raw | datapark-audit verify "
        "| verify / raw | CPU µs a record: raw / replay / verify | load average | clean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        loads = [r.load for r in row.rounds]
        lines.append(
            f"| {row.size:,} | {len(row.rounds)} | {row.median('raw_rate'):,.0f} records/s "
            f"| {row.median('replay_rate'):,.0f} records/s | {_spread(row.ratios('replay'))} "
            f"| {row.median('verify_rate'):,.0f} records/s | {_spread(row.ratios('verify'))} "
            f"| {row.median('raw_cpu'):.1f} / {row.median('replay_cpu'):.1f} / "
            f"{row.median('verify_cpu'):.1f} | {min(loads):.1f}-{max(loads):.1f} "
            f"| {'yes' if row.clean else 'NO'} |"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        lines += [
            "",
            f"From {first.size:,} to {last.size:,} events the median rates change: raw read "
            f"x{last.median('raw_rate') / first.median('raw_rate'):.2f}, replay "
            f"x{last.median('replay_rate') / first.median('replay_rate'):.2f}, verify "
            f"x{last.median('verify_rate') / first.median('verify_rate'):.2f}.",
        ]
    return lines


REPLAY_HEAD = "### replay (replay and `datapark-audit verify`)"


def write_replay_rows(rows: Sequence[Replay]) -> None:
    """``--replay-only``: the replay table of the section alone, the other curves kept."""
    current = DOC.read_text()
    before, rest = current.split(BEGIN, 1)
    section, after = rest.split(END, 1)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f"(replay rows: run {when}, `--replay-only`)"
    table = [REPLAY_HEAD, "", note, "", *replay_table(rows)]
    if "\n### replay (" in section:  # this table's head, or an earlier wording of it
        head, tail = section.split("\n### replay (", 1)
        head += "\n"
        kept = tail[tail.index("\n(whole run") :] if "\n(whole run" in tail else "\n"
        section = head + "\n".join(table) + "\n" + kept
    else:
        section = section.rstrip("\n") + "\n\n" + "\n".join(table) + "\n"
    DOC.write_text(before + BEGIN + section + END + after)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument(
        "--replay-sizes", default="10000,100000,1000000", help="events; empty: no replay curve"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    parser.add_argument(
        "--replay-only",
        action="store_true",
        help="only the replay curve; rewrites only its rows in docs/performance.md",
    )
    args = parser.parse_args()
    if args.replay_only:
        rows = await replay_curve(sorted(int(s) for s in args.replay_sizes.split(",") if s))
        print("\n".join(replay_table(rows)))
        if not args.no_write:
            write_replay_rows(rows)
            print(f"replay rows written to {DOC.relative_to(ROOT)}")
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    replay_sizes = sorted(int(s) for s in args.replay_sizes.split(",") if s)
    started = time.perf_counter()
    catalog = await catalog_curves(sizes)
    rental = await rental_curves(sizes)
    replay = await replay_curve(replay_sizes) if replay_sizes else []
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Scaling curves (`bench/scaling.py`)",
        "",
        f"Run {when} on {machine()}; Postgres and the load generator share the cores. "
        f"{REQUESTS} sequential requests per cell after {WARMUP} warm-up, one client, the app "
        "in-process (no network). Sizes: catalog in products (nine in ten listed on a venue, "
        "one in ten with a rental offering), rental in bookings. Growth is p50 at the largest "
        "size over p50 at the smallest.",
        "",
        "### catalog",
        "",
        *table(catalog, sizes),
        "",
        "### rental",
        "",
        *table(rental, sizes),
        "",
        *([REPLAY_HEAD, "", *replay_table(replay), ""] if replay else []),
        f"(whole run {time.perf_counter() - started:.0f} s)",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section(DOC, BEGIN, END, lines)
        print(f"written to {DOC.relative_to(ROOT)}")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds the context managers: scratch databases are dropped


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    asyncio.run(main())
