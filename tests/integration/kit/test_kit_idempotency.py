"""Idempotent POSTs: replay, key reuse with another body, concurrent requests with one key."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select
from support.helpers import random_uscc

from datapark_catalog.participants.models import Participant

pytestmark = pytest.mark.integration


def _body() -> dict[str, object]:
    return {"name": f"Idem {uuid.uuid4().hex[:6]}", "uscc": random_uscc(), "region_code": "350102"}


async def test_same_key_and_body_replays_the_first_response(catalog, token) -> None:
    headers = {**token("operator", client_id="idem-op-1"), "Idempotency-Key": uuid.uuid4().hex}
    body = _body()
    first = await catalog.post("/v1/participants", json=body, headers=headers)
    second = await catalog.post("/v1/participants", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_same_key_with_another_body_is_422(catalog, token) -> None:
    headers = {**token("operator", client_id="idem-op-2"), "Idempotency-Key": uuid.uuid4().hex}
    assert (
        await catalog.post("/v1/participants", json=_body(), headers=headers)
    ).status_code == 201
    reused = await catalog.post("/v1/participants", json=_body(), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"


async def test_keys_are_scoped_to_the_caller(catalog, token) -> None:
    key = uuid.uuid4().hex
    body = _body()
    one = await catalog.post(
        "/v1/participants",
        json=body,
        headers={**token("operator", client_id="idem-a"), "Idempotency-Key": key},
    )
    other = await catalog.post(
        "/v1/participants",
        json=body,
        headers={**token("operator", client_id="idem-b"), "Idempotency-Key": key},
    )
    assert one.status_code == 201
    assert other.status_code == 409  # executed, not replayed: same USCC already registered


async def test_concurrent_requests_with_one_key_produce_one_effect(catalog, token) -> None:
    headers = {**token("operator", client_id="idem-op-3"), "Idempotency-Key": uuid.uuid4().hex}
    body = _body()
    responses = await asyncio.gather(
        *[catalog.post("/v1/participants", json=body, headers=headers) for _ in range(10)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 9
    async with catalog.app.state.database.unit_of_work() as session:
        count = await session.scalar(
            select(func.count()).select_from(Participant).where(Participant.name == body["name"])
        )
    assert count == 1


async def test_a_failed_request_keeps_nothing_and_may_be_retried(catalog, token) -> None:
    headers = {**token("operator", client_id="idem-op-4"), "Idempotency-Key": uuid.uuid4().hex}
    bad = {**_body(), "region_code": "x"}
    assert (await catalog.post("/v1/participants", json=bad, headers=headers)).status_code == 422
    good = await catalog.post("/v1/participants", json=_body(), headers=headers)
    assert good.status_code == 201
