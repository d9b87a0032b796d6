"""CPU per request of rental's booking endpoints, in one process, for A/B comparisons (#14).

``bench/booking.py`` measures the real thing (uvicorn, HTTP over sockets, 32 clients) but on
this shared 2-core machine its req/s moves by ±30 % with other engineers' work. This script
runs the rental app in-process behind httpx's ASGI transport (no sockets, no uvicorn), sends
REQUESTS requests from CONCURRENCY clients after a warm-up, and prints what each request cost
in CPU (``time.process_time``: app and client together, the client's share being measured
separately on a trivial reference route) plus, per request, the SQLAlchemy statement
compilations, the asyncpg statements prepared and the database round trips. Robust to load:
CPU time, not wall time. ``--profile out.prof`` writes a cProfile of the timed part.

Rows:
- ``hold``: ``POST /v1/bookings`` as ``bench/booking.py`` sends it (no Idempotency-Key);
- ``hold+key``: the same with an Idempotency-Key;
- ``list``: ``GET /v1/bookings?limit=50`` (the customer's first page);
- ``floor``: an authenticated trivial endpoint of the same app (the same middleware, auth and
  unit of work, no query of its own): what any authenticated request costs before the
  endpoint does anything.

Run: ``uv run python bench/booking_cpu.py [--requests 400] [--rows hold,list,floor]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from booking import SEED, _md5_uuid, customer_token  # noqa: E402
from fastapi import APIRouter  # noqa: E402
from support.scratch_database import scratch_database  # noqa: E402

from datapark_kit.auth import CurrentPrincipal  # noqa: E402
from datapark_kit.uow import UnitOfWorkRoute  # noqa: E402

COUNTS: Counter[str] = Counter()


def _count_database_work() -> None:
    """Count compilations, prepares and round trips (patched in this process only)."""
    from sqlalchemy.dialects.postgresql import asyncpg as sa_asyncpg
    from sqlalchemy.sql.compiler import SQLCompiler

    compile_init = SQLCompiler.__init__

    def counted_compile(self: Any, *args: Any, **kwargs: Any) -> None:
        COUNTS["compiled"] += 1
        compile_init(self, *args, **kwargs)

    SQLCompiler.__init__ = counted_compile  # type: ignore[method-assign]
    prepare = asyncpg.Connection.prepare

    async def counted_prepare(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["prepared"] += 1
        return await prepare(self, *args, **kwargs)

    setattr(asyncpg.Connection, "prepare", counted_prepare)  # noqa: B010 - asyncpg is untyped
    for name in ("_do_execute", "_execute"):
        original = getattr(asyncpg.Connection, name, None)
        if original is None:
            continue

        async def counted(self: Any, *args: Any, _o: Any = original, **kwargs: Any) -> Any:
            COUNTS["round trips"] += 1
            return await _o(self, *args, **kwargs)

        setattr(asyncpg.Connection, name, counted)
    cursor = sa_asyncpg.AsyncAdapt_asyncpg_cursor
    run: Any = cursor._prepare_and_execute

    async def counted_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS["round trips"] += 1
        return await run(self, *args, **kwargs)

    cursor._prepare_and_execute = counted_run  # type: ignore[method-assign]


def _floor_router() -> APIRouter:
    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.get("/v1/bench-floor")
    async def floor(principal: CurrentPrincipal) -> dict[str, str]:
        return {"client_id": principal.client_id}

    return router


async def run(args: argparse.Namespace) -> None:
    async with scratch_database(["rental"]) as url:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(SEED)
        finally:
            await conn.close()
        os.environ.update(
            {
                "DATAPARK_RENTAL_DATABASE_URL": url,
                "DATAPARK_RENTAL_ENVIRONMENT": "test",
                "DATAPARK_RENTAL_RUN_WORKERS": "false",
                "DATAPARK_RENTAL_LOG_LEVEL": "ERROR",
                "DATAPARK_RENTAL_DATABASE_POOL_SIZE": str(args.concurrency),
            }
        )
        from datapark_rental.app import build_app

        app = build_app()
        app.include_router(_floor_router())
        _count_database_work()
        headers = {"Authorization": f"Bearer {customer_token()}"}
        today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        days = [2]
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://rental", headers=headers
            ) as client:

                async def one(row: str, i: int) -> int:
                    if row in ("hold", "hold+key"):
                        days[0] += 1
                        start = today + timedelta(days=days[0])
                        body = {
                            "offering_id": str(_md5_uuid(f"bench-offering-{i % 300}")),
                            "start": start.isoformat(),
                            "end": (start + timedelta(hours=2)).isoformat(),
                        }
                        extra = {"Idempotency-Key": uuid.uuid4().hex} if row == "hold+key" else {}
                        response = await client.post("/v1/bookings", json=body, headers=extra)
                    elif row == "list":
                        response = await client.get("/v1/bookings?limit=50")
                    else:
                        response = await client.get("/v1/bench-floor")
                    return response.status_code

                async def load(row: str, count: int) -> Counter[int]:
                    statuses: Counter[int] = Counter()
                    queue = iter(range(count))

                    async def worker() -> None:
                        for i in queue:
                            statuses[await one(row, i)] += 1

                    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
                    return statuses

                for row in args.rows.split(","):
                    await load(row, args.warmup)
                    COUNTS.clear()
                    profiler = cProfile.Profile() if args.profile else None
                    cpu, wall = time.process_time(), time.perf_counter()
                    if profiler:
                        profiler.enable()
                    statuses = await load(row, args.requests)
                    if profiler:
                        profiler.disable()
                        profiler.dump_stats(f"{args.profile}.{row}")
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    per = {k: v / args.requests for k, v in sorted(COUNTS.items())}
                    print(
                        f"{row:9s} {cpu * 1000 / args.requests:6.2f} ms CPU a request "
                        f"({args.requests / wall:6.1f} req/s, statuses {dict(statuses)}); "
                        + ", ".join(f"{k} {v:.1f}" for k, v in per.items())
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rows", default="floor,hold,hold+key,list")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    asyncio.run(run(args))
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
