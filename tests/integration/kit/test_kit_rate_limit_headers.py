"""The token endpoint (the rate-limited open path) tells every caller where it stands:
``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` and ``RateLimit-Policy``
(draft-ietf-httpapi-ratelimit-headers-06) on its successes, refusals and 429s, beside
``Retry-After`` on a 429. Through the real catalog app, its real source throttle and the
per-client lock-out kept in Postgres."""

from __future__ import annotations

import uuid

import httpx
import pytest
from support.credentials import client_from, issued_credential, token_form

pytestmark = pytest.mark.integration


def _address() -> str:
    return f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post("/v1/auth/token", data=token_form(client_id, secret))


def _quota(answer: httpx.Response) -> tuple[int, int, int, str]:
    headers = answer.headers
    return (
        int(headers["ratelimit-limit"]),
        int(headers["ratelimit-remaining"]),
        int(headers["ratelimit-reset"]),
        headers["ratelimit-policy"],
    )


async def test_each_answer_counts_down_the_source_quota_to_a_429(
    catalog, token, monkeypatch
) -> None:
    service = catalog.app.state.token_service
    monkeypatch.setattr(service.sources, "max_unsuccessful", 3)
    monkeypatch.setattr(service.settings, "token_throttle_delay_seconds", 0)
    window = service.settings.token_source_window_seconds
    unknown = f"dp_quota_{uuid.uuid4().hex[:8]}"
    async with client_from(catalog, _address()) as guesser:
        answers = [await _token(guesser, f"{unknown}_{n}", "guess") for n in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    quotas = [_quota(a) for a in answers]
    assert [q[1] for q in quotas] == [2, 1, 0, 0]
    for limit, _, reset, policy in quotas:
        assert limit == 3
        assert 0 < reset <= window
        assert policy == f"3;w={window}"
    throttled = answers[-1]
    assert throttled.json()["code"] == "rate_limited"
    assert 0 < quotas[-1][2] <= int(throttled.headers["retry-after"])


async def test_a_success_gives_its_place_back(catalog, token) -> None:
    credential = await issued_credential(catalog, token, "Quota Test Co.")
    limit = catalog.app.state.token_service.sources.max_unsuccessful
    async with client_from(catalog, _address()) as owner:
        wrong = await _token(owner, credential["client_id"], "not the secret")
        right = await _token(owner, credential["client_id"], credential["client_secret"])
    assert wrong.status_code == 401
    assert _quota(wrong)[:2] == (limit, limit - 1)
    assert right.status_code == 200, right.text
    assert _quota(right)[:2] == (limit, limit - 1)  # the failure still counts, this one not
    assert "retry-after" not in right.headers


async def test_a_locked_client_id_shows_no_quota_left_until_the_lock_lifts(catalog, token) -> None:
    credential = await issued_credential(catalog, token, "Quota Test Co.")
    settings = catalog.app.state.token_service.settings
    async with client_from(catalog, _address()) as guesser:
        for n in range(settings.token_max_failures):
            failed = await _token(guesser, credential["client_id"], f"guess-{n}")
            assert failed.status_code == 401
        locked = await _token(guesser, credential["client_id"], credential["client_secret"])
    assert locked.status_code == 429
    limit, remaining, reset, policy = _quota(locked)
    assert (limit, remaining) == (settings.token_max_failures, 0)
    assert policy == f"{settings.token_max_failures};w={settings.token_lockout_seconds}"
    assert reset == int(locked.headers["retry-after"]) > 0


async def test_paths_without_a_limiter_send_no_quota(catalog, token) -> None:
    answer = await catalog.get("/v1/participants", headers=token("operator"))
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.startswith("ratelimit-")]
    health = await catalog.get("/healthz")
    assert "ratelimit-limit" not in health.headers
