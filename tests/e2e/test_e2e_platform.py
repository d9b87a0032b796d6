"""The platform as `make run` starts it: four service processes on real ports, seeded demo
principals, a token from catalog's token endpoint, and a participant that reaches the other
three services' projections. Prints the measured propagation latency."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from support.helpers import random_uscc

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("catalog", "trading", "rental", "subsidy")
BASE_PORT = int(os.environ.get("DATAPARK_E2E_BASE_PORT", "18000"))
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
E2E_GROUPS = f"e2e-{os.getpid()}."
DB_URL = f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test"


def _env(service: str, index: int) -> dict[str, str]:
    prefix = f"DATAPARK_{service.upper()}_"
    return {
        **os.environ,
        f"{prefix}PORT": str(BASE_PORT + index + 1),
        f"{prefix}DATABASE_URL": DB_URL,
        f"{prefix}LOG_JSON": "false",
        f"{prefix}CONSUMER_GROUP_PREFIX": E2E_GROUPS,
        f"{prefix}RELAY_POLL_SECONDS": "1.0",
    }


@pytest.fixture(scope="module")
async def e2e_groups(kafka_topics: str) -> str:
    """The e2e services' consumer groups, positioned at the end of the log."""
    from conftest import start_groups_at_end

    await start_groups_at_end(E2E_GROUPS)
    return E2E_GROUPS


@pytest.fixture(scope="module")
def platform(
    migrated_database: str, e2e_groups: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    processes = []
    for index, service in enumerate(SERVICES):
        log = (logs / f"{service}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", f"datapark_{service}"],
                cwd=ROOT,
                env=_env(service, index),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    urls = {s: f"http://127.0.0.1:{BASE_PORT + i + 1}" for i, s in enumerate(SERVICES)}
    try:
        deadline = time.monotonic() + 60
        for service, url in urls.items():
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{service} not ready: {(logs / f'{service}.log').read_text()[-2000:]}"
                    )
                time.sleep(0.3)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _operator_credential() -> tuple[str, str]:
    seeded = subprocess.run(
        [sys.executable, "-m", "datapark_catalog.seed"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=_env("catalog", 0),
    )
    match = re.search(r"^\s+operator\s+\S+\s+(\S+)\s+(\S+)$", seeded.stdout, re.M)
    assert match, seeded.stdout
    return match.group(1), match.group(2)


async def test_all_services_ready_and_a_participant_reaches_every_projection(platform) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for url in platform.values():
            ready = (await client.get(f"{url}/readyz")).json()
            assert ready == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}
    client_id, secret = _operator_credential()
    async with httpx.AsyncClient(base_url=platform["catalog"], timeout=10) as catalog:
        issued = await catalog.post(
            "/v1/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert issued.status_code == 200, issued.text
        auth = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        # The first participant also waits for the consumers to join and catch up with the
        # log; the next ones measure steady-state propagation.
        latencies: list[dict[str, float]] = []
        for n in range(4):
            body = {
                "name": f"E2E Robotics Leasing Co. {n}",
                "uscc": random_uscc("110108"),
                "region_code": "110108",
                "roles": ["participant", "customer"],
            }
            response = await catalog.post("/v1/participants", json=body, headers=auth)
            assert response.status_code == 201, response.text
            latencies.append(await _propagation(response.json()["id"], time.monotonic()))
    steady = [max(row.values()) for row in latencies[1:]]
    print(
        f"\nfirst participant (consumers joining and catching up): "
        f"{max(latencies[0].values()):.3f}s; steady state, slowest of the three "
        f"projections: {', '.join(f'{v:.3f}s' for v in steady)}"
    )


async def _propagation(pid: str, created_at: float) -> dict[str, float]:
    connection = await asyncpg.connect(DB_URL.replace("+asyncpg", ""))
    seen: dict[str, float] = {}
    try:
        while len(seen) < 3 and time.monotonic() - created_at < 60:
            for schema in ("trading", "rental", "subsidy"):
                if schema not in seen and await connection.fetchval(
                    f'SELECT 1 FROM "{schema}".participants WHERE id = $1::uuid', pid
                ):
                    seen[schema] = time.monotonic() - created_at
            await asyncio.sleep(0.005)
    finally:
        await connection.close()
    assert set(seen) == {"trading", "rental", "subsidy"}, seen
    return seen
