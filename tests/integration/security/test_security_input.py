"""Input the probe slipped past the services (issue #17, items 4, 5 and 6), now refused with a
problem that names the field and changes nothing: unknown fields, bodies over the limit
(413, declared or streamed), lenient money spellings and JSON numbers, control characters in
text, and dates near year 9999 in rental's bookings, quotes and availability."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.helpers import random_uscc

pytestmark = pytest.mark.integration


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    return body


async def _available(trading: Any, token: Any, pid: uuid.UUID) -> str:
    account = await trading.get(f"/v1/accounts/{pid}", headers=token("operator"))
    assert account.status_code == 200, account.text
    return str(account.json()["available"]["amount"])


async def test_unknown_fields_are_refused_and_nothing_is_credited(trading, token) -> None:
    pid = uuid.uuid4()
    before = await _available(trading, token, pid)
    body = {
        "amount": "12.00",
        "reference": "bank-extra",
        "id": str(uuid.uuid4()),
        "owner_participant_id": str(uuid.uuid4()),
        "state": "settled",
    }
    refused = _problem(
        await trading.post(f"/v1/accounts/{pid}/deposits", json=body, headers=token("operator")),
        422,
    )
    assert {e["field"] for e in refused["errors"]} == {"id", "owner_participant_id", "state"}
    assert await _available(trading, token, pid) == before


def test_every_request_body_of_every_service_is_strict(catalog, trading, rental, subsidy) -> None:
    for client in (catalog, trading, rental, subsidy):
        assert client.app.state.lenient_request_models == []


async def test_a_body_over_the_limit_is_a_413_before_it_is_read(trading, catalog, token) -> None:
    pid = uuid.uuid4()
    big = b'{"amount": "12.00", "reference": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    declared = await trading.post(
        f"/v1/accounts/{pid}/deposits",
        content=big,
        headers={**token("operator"), "Content-Type": "application/json"},
    )
    problem = _problem(declared, 413)
    assert problem["code"] == "payload_too_large"
    assert declared.headers["connection"] == "close"

    sent = 0

    async def streamed() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):  # 4 MiB in all, without a Content-Length
            sent += 1
            yield b"x" * 65536

    chunked = await catalog.post(
        "/v1/participants",
        content=streamed(),
        headers={**token("operator"), "Content-Type": "application/json"},
    )
    _problem(chunked, 413)
    assert sent < 64  # refused once past the limit, not after reading everything
    assert await _available(trading, token, pid) == "0.00"


@pytest.mark.parametrize(
    "amount",
    ["1E2", "1_000.00", " 1.00 ", "１２", "١٢", "12.", ".5", "+12", "12.001", "0x10", 12, 12.0],
)
async def test_money_accepts_only_plain_ascii_decimals(trading, token, amount: Any) -> None:
    pid = uuid.uuid4()
    response = await trading.post(
        f"/v1/accounts/{pid}/deposits",
        json={"amount": amount, "reference": "bank-strict"},
        headers=token("operator"),
    )
    _problem(response, 422, "amount")
    assert await _available(trading, token, pid) == "0.00"


async def test_a_plain_amount_is_still_credited(trading, token) -> None:
    pid = uuid.uuid4()
    response = await trading.post(
        f"/v1/accounts/{pid}/deposits",
        json={"amount": "12.5", "reference": "bank-plain"},
        headers=token("operator"),
    )
    assert response.status_code == 201, response.text
    assert await _available(trading, token, pid) == "12.50"


@pytest.mark.parametrize("character", ["\x1b", "\x07", "\x7f", "\x9b"])
async def test_control_characters_in_text_are_refused(catalog, token, character: str) -> None:
    body = {
        "name": f"Evil{character}[31m Co.",
        "uscc": random_uscc(),
        "region_code": "110105",
        "roles": ["participant"],
    }
    problem = _problem(
        await catalog.post("/v1/participants", json=body, headers=token("operator")), 422, "name"
    )
    assert problem["errors"][0]["type"] == "control_character"


async def test_line_breaks_and_tabs_in_text_are_kept(catalog, token) -> None:
    product = {
        "title": "Line\tbreaks",
        "description": "First line.\nSecond line.\r\n",
        "keywords": ["vibration"],
        "domain": "industrial_manufacturing",
        "product_form": "dataset",
        "classification": "general",
        "provenance": "collected",
        "update_frequency": "daily",
        "format": "parquet",
        "license": "datapark-standard-1.0",
        "contact": "data@press.example",
        "sample_sha256": "b" * 64,
    }
    made = await catalog.post("/v1/data-products", json=product, headers=token("participant"))
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59Z", "start"),
        ("2031-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "end"),
        ("9999-12-31T23:00:00-05:00", "2031-01-01T00:00:00Z", "start"),
        ("0001-01-01T00:00:00+05:00", "2031-01-01T00:00:00Z", "start"),
    ],
)
async def test_booking_dates_near_the_calendars_end_are_a_422(
    rental, token, start: str, end: str, field: str
) -> None:
    customer = token("customer")
    period = {"offering_id": str(uuid.uuid4()), "start": start, "end": end}
    _problem(await rental.post("/v1/quotes", json=period, headers=customer), 422, field)
    _problem(await rental.post("/v1/bookings", json=period, headers=customer), 422, field)
    availability = await rental.get(
        "/v1/availability",
        params={"offering_id": period["offering_id"], "start": start, "end": end},
        headers=customer,
    )
    _problem(availability, 422, field)


async def test_extending_a_booking_to_year_9999_is_a_422(rental, token) -> None:
    response = await rental.post(
        f"/v1/bookings/{uuid.uuid4()}/extend",
        json={"end": "9999-12-31T23:59:59Z"},
        headers=token("customer"),
    )
    _problem(response, 422, "end")


async def test_a_price_bound_in_a_query_is_read_as_strictly(catalog, token) -> None:
    reader = token("participant")
    for bad in ("1E2", "１２", " 5", "5.001"):
        refused = await catalog.get("/v1/listings", params={"min_price": bad}, headers=reader)
        _problem(refused, 422, "min_price")
    found = await catalog.get("/v1/listings", params={"max_price": "10.5"}, headers=reader)
    assert found.status_code == 200, found.text
