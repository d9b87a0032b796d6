"""What a real server does with misbehaving clients and errors (issue #17, items 3 and 4 and
the slow clients): a 500 keeps the keep-alive connection usable; a request head or body that
does not arrive in time is cut off; connections beyond the cap get a 503; forwarded headers
are believed only from configured proxies, so forged addresses do not escape the lock-out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import TEST_DATABASE_URL, service_settings
from fastapi import APIRouter
from integration.security.security_support import raw_exchange, served
from support.helpers import random_uscc

from datapark_catalog.app import build_app
from datapark_kit.app import create_app
from datapark_kit.serve import uvicorn_options
from datapark_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration


def _settings(**overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": "security-probe",
        "environment": "test",
        "database_url": TEST_DATABASE_URL,
        "run_workers": False,
        "log_json": False,
        "header_read_timeout_seconds": 1.0,
        "body_read_timeout_seconds": 1.0,
        "max_connections": 3,
    }
    values.update(overrides)
    return ServiceSettings(**values)


def _probe_app(settings: ServiceSettings) -> Any:
    router = APIRouter()

    @router.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("an error no handler expects")

    return create_app(settings, title="probe", description="probe", routers=[router])


@pytest.fixture(scope="module")
async def probe(migrated_database: str) -> AsyncIterator[str]:
    settings = _settings()
    async with served(_probe_app(settings), settings) as url:
        yield url


def _local_port(response: httpx.Response) -> int:
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


async def test_an_unexpected_error_is_a_500_problem_and_the_connection_stays_usable(
    probe: str,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=probe, limits=limits) as client:
        failed = await client.get("/v1/boom")
        first_port = _local_port(failed)
        assert failed.status_code == 500
        assert failed.headers["content-type"].startswith("application/problem+json")
        assert failed.json()["code"] == "internal_error"
        assert "RuntimeError" not in failed.text
        assert failed.headers.get("connection", "").lower() != "close"
        after = await client.get("/healthz")
        assert after.status_code == 200
        # The same TCP connection served both: the 500 did not close it.
        assert _local_port(after) == first_port


async def test_a_request_head_that_never_completes_is_cut_off(probe: str) -> None:
    received, closed = await raw_exchange(
        probe, b"GET /healthz HTTP/1.1\r\nHost: probe\r\nX-Slow: ", wait=10
    )
    assert closed, "the server kept a connection whose request head never came"
    assert received == b""


async def test_a_body_that_never_arrives_is_a_408_and_the_connection_closes(probe: str) -> None:
    head = (
        b"POST /v1/anything HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    received, closed = await raw_exchange(probe, head + b'{"name": "sl', wait=10)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"application/problem+json" in received
    assert b'"code":"request_timeout"' in received
    assert closed


async def test_connections_beyond_the_cap_get_a_503(probe: str) -> None:
    host, port = probe.removeprefix("http://").split(":")
    idle = [await asyncio.open_connection(host, int(port)) for _ in range(3)]
    try:
        received, _ = await raw_exchange(
            probe, b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n", wait=5
        )
        assert received.startswith(b"HTTP/1.1 503"), received[:200]
    finally:
        for _, writer in idle:
            writer.close()
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient(base_url=probe) as client:
        assert (await client.get("/healthz")).status_code == 200


def test_forwarded_headers_are_believed_only_from_configured_proxies() -> None:
    default = uvicorn_options(_settings())
    assert default["proxy_headers"] is False
    configured = uvicorn_options(_settings(forwarded_allow_ips="10.0.0.7, 10.1.0.0/16"))
    assert configured["proxy_headers"] is True
    assert configured["forwarded_allow_ips"] == ["10.0.0.7", "10.1.0.0/16"]


async def test_forged_forwarded_addresses_do_not_escape_the_lock_out(catalog, token) -> None:
    """The probe: 30 wrong secrets, each with another X-Forwarded-For, never hit 429."""
    operator = token("operator")
    created = await catalog.post(
        "/v1/participants",
        json={
            "name": "Forwarded Probe Co.",
            "uscc": random_uscc(),
            "region_code": "110105",
            "roles": ["participant"],
        },
        headers=operator,
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (
        await catalog.post(f"/v1/participants/{pid}/approve", headers=operator)
    ).status_code == 200
    issued = await catalog.post(f"/v1/participants/{pid}/credentials", json={}, headers=operator)
    assert issued.status_code == 201, issued.text
    client_id = issued.json()["client_id"]
    settings = service_settings("catalog", run_workers=False)
    async with (
        served(build_app(settings), settings) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        codes = []
        for n in range(7):
            answer = await client.post(
                "/v1/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": f"guess-{n}",
                },
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            codes.append(answer.status_code)
        assert codes[:5] == [401] * 5
        assert codes[5:] == [429, 429]
        assert int(answer.headers["retry-after"]) > 0
