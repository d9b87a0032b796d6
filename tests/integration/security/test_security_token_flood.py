"""The token endpoint under a flood (issue #17, items 1 and 3): a flooder with random client
ids is throttled by its address before any hashing and leaves nothing in the database, while a
legitimate client from elsewhere still gets its token; failures for one client id from many
addresses lock it (Retry-After on every 429); expired counters are purged.

How fast the legitimate request stays is measured, not asserted: ``bench/token_flood.py``."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, or_, select
from support.credentials import client_from, issued_credential, token_form

from datapark_catalog.auth.models import TokenFailures

pytestmark = pytest.mark.integration


async def _rows(catalog: Any, *patterns: str) -> int:
    async with catalog.app.state.database.unit_of_work() as session:
        conditions = [TokenFailures.client_id.like(f"{p}%") for p in patterns]
        count = await session.scalar(
            select(func.count()).select_from(TokenFailures).where(or_(*conditions))
        )
    return int(count or 0)


async def test_a_flood_of_unknown_client_ids_is_throttled_and_leaves_no_rows(
    catalog, token
) -> None:
    legitimate = await issued_credential(catalog, token, "Flood Test Co.")
    prefix = f"dp_flood_{uuid.uuid4().hex[:8]}_"
    flooder_address = f"203.0.113.{uuid.uuid4().int % 200 + 20}"

    async with client_from(catalog, flooder_address) as flooder:

        async def flood_one(n: int) -> httpx.Response:
            return await flooder.post("/v1/auth/token", data=token_form(f"{prefix}{n}", "guess"))

        flood = asyncio.gather(*[flood_one(n) for n in range(120)])
        mine = await catalog.post(
            "/v1/auth/token", data=token_form(legitimate["client_id"], legitimate["client_secret"])
        )
        answers = await flood

    assert mine.status_code == 200, mine.text
    codes = [a.status_code for a in answers]
    assert set(codes) <= {401, 429}, codes
    throttled = [a for a in answers if a.status_code == 429]
    assert len(throttled) >= 100, codes  # most were turned away before any hashing
    for answer in throttled:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert int(answer.headers["retry-after"]) >= 1
    assert await _rows(catalog, prefix) == 0
    # The flooder's address stays throttled; the rightful owner elsewhere is not.
    async with client_from(catalog, flooder_address) as flooder:
        again = await flooder.post("/v1/auth/token", data=token_form(f"{prefix}late", "guess"))
    assert again.status_code == 429


async def test_failures_for_one_client_id_from_many_addresses_lock_it(
    catalog, token, monkeypatch
) -> None:
    credential = await issued_credential(catalog, token, "Flood Test Co.")
    settings = catalog.app.state.token_service.settings
    monkeypatch.setattr(settings, "token_max_failures_per_client", 3)
    codes = []
    for n in range(4):
        async with client_from(catalog, f"198.51.100.{n + 10}") as somewhere:
            answer = await somewhere.post(
                "/v1/auth/token", data=token_form(credential["client_id"], f"guess-{n}")
            )
        codes.append(answer.status_code)
    assert codes == [401, 401, 401, 429]
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["retry_after"] == int(answer.headers["retry-after"])


async def test_expired_failure_counters_are_purged(catalog, token) -> None:
    credential = await issued_credential(catalog, token, "Flood Test Co.")
    stale = f"dp_stale_{uuid.uuid4().hex[:8]}|192.0.2.1"
    long_ago = datetime.now(UTC) - timedelta(days=2)
    async with catalog.app.state.database.unit_of_work() as session:
        session.add(
            TokenFailures(
                client_id=stale,
                failures=3,
                window_started_at=long_ago,
                locked_until=long_ago + timedelta(minutes=5),
            )
        )
    catalog.app.state.token_service._purged_at = float("-inf")
    async with client_from(catalog, "198.51.100.99") as somewhere:
        failed = await somewhere.post(
            "/v1/auth/token", data=token_form(credential["client_id"], "wrong")
        )
    assert failed.status_code == 401
    assert await _rows(catalog, stale) == 0
    async with catalog.app.state.database.unit_of_work() as session:
        await session.execute(
            delete(TokenFailures).where(TokenFailures.client_id.like(f"{credential['client_id']}%"))
        )


async def test_a_token_response_is_never_cached_and_no_response_is_sniffed(catalog, token) -> None:
    credential = await issued_credential(catalog, token, "Flood Test Co.")
    issued = await catalog.post(
        "/v1/auth/token", data=token_form(credential["client_id"], credential["client_secret"])
    )
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    assert issued.headers["pragma"] == "no-cache"
    assert issued.headers["x-content-type-options"] == "nosniff"
    refused = await catalog.get("/v1/participants")
    assert refused.status_code == 401
    assert refused.headers["x-content-type-options"] == "nosniff"
