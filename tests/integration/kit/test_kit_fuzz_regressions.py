"""One request per class of 500 that the schema fuzzer (test_kit_fuzz.py) found, each now a
422 problem through the real app: NUL characters, non-ASCII cursors, amounts and integers
too large for their columns."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def assert_422(response, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"]
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    return body


async def test_a_nul_in_a_json_body_is_a_422_and_nothing_is_stored(catalog, token) -> None:
    operator = token("operator")
    name = f"nul-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "maker": "m", "category": "amr", "specs": {"k": "a\x00b"}}
    problem = assert_422(
        await catalog.post("/v1/robot-models", json=body, headers=operator), "specs.k"
    )
    assert problem["errors"][0]["type"] == "nul_character"
    assert problem["instance"] == "/v1/robot-models"
    assert (
        "x-request-id"
        in (await catalog.post("/v1/robot-models", json=body, headers=operator)).headers
    )


async def test_a_nul_in_the_query_or_a_form_is_a_422(catalog, token) -> None:
    operator = token("operator")
    assert_422(
        await catalog.get("/v1/participants", params={"cursor": "\x00"}, headers=operator),
        "cursor",
    )
    assert_422(
        await catalog.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": "a\x00", "client_secret": "s"},
        ),
        "client_id",
    )


async def test_a_cursor_that_is_not_base64_is_a_422(catalog, subsidy, token) -> None:
    operator = token("operator")
    assert_422(
        await catalog.get("/v1/participants", params={"cursor": "Ä"}, headers=operator), "cursor"
    )
    assert_422(await subsidy.get("/v1/claims", params={"cursor": "ñ"}, headers=operator), "cursor")


async def test_an_amount_beyond_the_money_column_is_a_422(rental, token) -> None:
    response = await rental.put(
        f"/v1/lessors/{uuid.uuid4()}/financials",
        json={
            "net_assets": {"amount": "99999999999999999999.99", "currency": "CNY"},
            "as_of": "2026-01-01",
        },
        headers={**token("operator"), "Content-Type": "application/json"},
    )
    assert_422(response, "net_assets")


async def test_a_waiting_period_beyond_a_year_is_a_422(trading, token) -> None:
    party = token("participant", "partner")
    response = await trading.post(
        f"/v1/agreements/{uuid.uuid4()}/transfers",
        json={"confirm_after_seconds": 6232471342429426379915264},
        headers=party,
    )
    assert_422(response, "confirm_after_seconds")
    response = await trading.post(
        f"/v1/transfers/{uuid.uuid4()}/start",
        json={"endpoint": "https://example.test/data", "grant_ttl_seconds": 106945674843504},
        headers=party,
    )
    assert_422(response, "grant_ttl_seconds")
