"""Token flood benchmark (issue #17, item 1): how catalog answers while being flooded with
token requests for random client ids, each figure beside its unloaded baseline from the same run.

catalog runs as its own process (``python -m datapark_catalog``, served as in production by
``datapark_kit.serve``; no relay) on the test database, the flood as another (this script with
``--flood``), so neither the flooders' client work nor the measurement share an event loop.
Measured, sequentially, by a legitimate client from 127.0.0.1:
- a token request with a valid credential, and ``/healthz``, unloaded;
- the same during a flood of FLOODERS concurrent posters with random client ids for SECONDS
  seconds, (a) all from one address (127.0.0.2), (b) each from its own (127.0.1.x).
Also printed: the flood's answers by status, and the rows it left in ``token_failures``.
The probe that filed #17 saw, before the fix: /healthz median 2 -> 108 ms, a legitimate token
48 -> 969 ms (7.2 s max), 388 junk rows after 200 posters for 10 s.

Run: `uv run python bench/token_flood.py` with the local stack up and catalog migrated.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.helpers import random_uscc  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from bench_support import free_port, service_process  # noqa: E402

from datapark_catalog.auth.models import TokenFailures  # noqa: E402
from datapark_kit.auth import TokenSigner  # noqa: E402
from datapark_kit.db import Database  # noqa: E402
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM  # noqa: E402

PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
URL = f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test"
FLOODERS = int(os.environ.get("BENCH_FLOODERS", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "15"))


@contextlib.asynccontextmanager
async def catalog_process() -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATAPARK_CATALOG_DATABASE_URL": URL,
        "DATAPARK_CATALOG_PORT": str(port),
        "DATAPARK_CATALOG_ENVIRONMENT": "test",
        "DATAPARK_CATALOG_RUN_WORKERS": "false",
        "DATAPARK_CATALOG_LOG_LEVEL": "ERROR",
    }
    command = [sys.executable, "-m", "datapark_catalog"]
    async with service_process(command, env, port, polls=200, stop_timeout=30) as url:
        yield url


async def credential(url: str) -> tuple[str, str]:
    signer = TokenSigner(
        DEV_JWT_PRIVATE_KEY_PEM,
        key_id="datapark-dev-1",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=600,
    )
    jwt = signer.issue(client_id="bench-operator", participant_id=uuid.uuid4(), roles=["operator"])
    operator = {"Authorization": f"Bearer {jwt}"}
    async with httpx.AsyncClient(base_url=url, headers=operator) as client:
        body = {
            "name": "Bench Flood Co.",
            "uscc": random_uscc(),
            "region_code": "110105",
            "roles": ["participant"],
        }
        pid = (await client.post("/v1/participants", json=body)).json()["id"]
        await client.post(f"/v1/participants/{pid}/approve")
        issued = (await client.post(f"/v1/participants/{pid}/credentials", json={})).json()
    return issued["client_id"], issued["client_secret"]


async def timings(call: Callable[[], Awaitable[httpx.Response]], n: int) -> tuple[list[float], int]:
    """Milliseconds of ``n`` sequential calls, and how many were 200."""
    out: list[float] = []
    ok = 0
    for _ in range(n):
        started = time.perf_counter()
        response = await call()
        out.append((time.perf_counter() - started) * 1000)
        ok += response.status_code == 200
    return out, ok


async def measure(url: str, client_id: str, secret: str) -> dict[str, tuple[list[float], int]]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        tokens = await timings(lambda: client.post("/v1/auth/token", data=form), SAMPLES)
        health = await timings(lambda: client.get("/healthz"), SAMPLES)
    return {"token": tokens, "healthz": health}


async def flood(
    url: str, prefix: str, addresses: list[str], stop: asyncio.Event
) -> collections.Counter[int]:
    answers: collections.Counter[int] = collections.Counter()

    async def poster(n: int) -> None:
        address = addresses[n % len(addresses)]
        # Plain HTTP on loopback: no TLS context to build (building 200 of them would make
        # the flooders, not the server, the bottleneck).
        transport = httpx.AsyncHTTPTransport(local_address=address, verify=False)
        async with httpx.AsyncClient(base_url=url, transport=transport, timeout=30) as client:
            k = 0
            while not stop.is_set():
                k += 1
                form = {
                    "grant_type": "client_credentials",
                    "client_id": f"{prefix}{n}-{k}",
                    "client_secret": "guess",
                }
                try:
                    answers[(await client.post("/v1/auth/token", data=form)).status_code] += 1
                except httpx.HTTPError:
                    answers[0] += 1

    await asyncio.gather(*[poster(n) for n in range(FLOODERS)])
    return answers


async def junk_rows(prefix: str) -> int:
    database = Database(URL, pool_size=1)
    try:
        async with database.unit_of_work() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(TokenFailures)
                .where(TokenFailures.client_id.like(f"{prefix}%"))
            )
        return int(count or 0)
    finally:
        await database.dispose()


def line(name: str, base: tuple[list[float], int], loaded: tuple[list[float], int]) -> str:
    def fig(sample: tuple[list[float], int]) -> str:
        values, ok = sample
        return (
            f"median {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms  "
            f"ok {ok}/{len(values)}"
        )

    return f"  {name:<8} unloaded: {fig(base)}\n  {'':<8} flooded:  {fig(loaded)}"


async def scenario(url: str, client_id: str, secret: str, title: str, mode: str) -> None:
    prefix = f"dp_bench_{uuid.uuid4().hex[:6]}_"
    base = await measure(url, client_id, secret)
    flooding = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--flood",
        url,
        prefix,
        mode,
        stdout=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(1.0)
    loaded = await measure(url, client_id, secret)
    output, _ = await flooding.communicate()
    answers = json.loads(output.decode().strip().splitlines()[-1])
    print(f"{title} ({FLOODERS} posters, {SECONDS:g} s):")
    print(line("token", base["token"], loaded["token"]))
    print(line("healthz", base["healthz"], loaded["healthz"]))
    print(f"  flood answers: {answers}  junk rows: {await junk_rows(prefix)}")


def addresses(mode: str) -> list[str]:
    if mode == "one":
        return ["127.0.0.2"]
    return [f"127.0.1.{n % 250 + 1}" for n in range(FLOODERS)]


async def flood_main(url: str, prefix: str, mode: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(SECONDS, stop.set)
    answers = await flood(url, prefix, addresses(mode), stop)
    print(json.dumps({str(k): v for k, v in sorted(answers.items())}))


async def main() -> None:
    async with catalog_process() as url:
        client_id, secret = await credential(url)
        await scenario(url, client_id, secret, "flood from one address", "one")
        await asyncio.sleep(1)
        await scenario(url, client_id, secret, "flood from many addresses", "many")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--flood"]:
        asyncio.run(flood_main(*sys.argv[2:5]))
    else:
        asyncio.run(main())
