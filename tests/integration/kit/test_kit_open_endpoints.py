"""Every endpoint of every service demands a token, except health, docs, token and JWKS;
every POST runs in the unit of work that honours Idempotency-Key."""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = pytest.mark.integration
OPEN = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/v1/auth/token",
    "/.well-known/jwks.json",
    "/.well-known/dspace-version",  # Dataspace Protocol version discovery is public (trading)
}


@pytest.fixture(scope="module")
def clients(catalog, trading, rental, subsidy):
    return {"catalog": catalog, "trading": trading, "rental": rental, "subsidy": subsidy}


async def test_every_endpoint_but_the_open_ones_requires_a_token(clients) -> None:
    checked = 0
    for name, client in clients.items():
        for path, operations in client.app.openapi()["paths"].items():
            if path in OPEN:
                continue
            concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            for method in operations:
                response = await client.request(method.upper(), concrete)
                assert response.status_code == 401, (name, method, path, response.status_code)
                checked += 1
    assert checked >= 40


def test_a_write_endpoint_outside_the_unit_of_work_is_refused_at_build_time() -> None:
    from fastapi import APIRouter

    from datapark_kit.app import _require_unit_of_work

    plain = APIRouter()

    @plain.post("/v1/things")
    async def create_thing() -> None:
        """Would commit nothing and ignore Idempotency-Key."""

    with pytest.raises(TypeError, match="UnitOfWorkRoute"):
        _require_unit_of_work([plain], frozenset())
    _require_unit_of_work([plain], frozenset({"/v1/things"}))
