"""The rate-limit headers (draft-ietf-httpapi-ratelimit-headers-06) as the kit renders them,
and which quota a request reports when several apply. Through the real app middleware in
tests/integration/kit/test_kit_rate_limit_headers.py."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from datapark_kit import ratelimit
from datapark_kit.app import RequestContextMiddleware
from datapark_kit.errors import TooManyRequests
from datapark_kit.problems import install_problem_handlers
from datapark_kit.ratelimit import RateLimit


def test_the_fields_of_the_draft() -> None:
    assert RateLimit(limit=10, remaining=3, reset=42, window=60).headers() == {
        "RateLimit-Limit": "10",
        "RateLimit-Remaining": "3",
        "RateLimit-Reset": "42",
        "RateLimit-Policy": "10;w=60",
    }
    spent = RateLimit(limit=10, remaining=-2, reset=-1, window=60).headers()
    assert (spent["RateLimit-Remaining"], spent["RateLimit-Reset"]) == ("0", "0")


def test_the_quota_nearest_to_running_out_is_the_one_sent() -> None:
    roomy = RateLimit(limit=100, remaining=90, reset=30, window=60)
    tight = RateLimit(limit=5, remaining=0, reset=200, window=300)
    sooner = RateLimit(limit=5, remaining=0, reset=20, window=300)
    assert roomy.nearer(tight) == tight
    assert tight.nearer(roomy) == tight
    assert sooner.nearer(tight) == tight  # none left in either: the later reset


def test_a_report_outside_a_request_is_ignored() -> None:
    ratelimit.report(RateLimit(limit=1, remaining=0, reset=1, window=1))  # no error


async def test_the_middleware_sends_what_was_reported_on_a_problem_too() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/limited")
    async def limited() -> dict[str, str]:
        ratelimit.report(RateLimit(limit=3, remaining=0, reset=9, window=60))
        ratelimit.report(RateLimit(limit=50, remaining=20, reset=30, window=60))
        raise TooManyRequests("slow down", retry_after=9)

    @app.get("/open")
    async def open_() -> dict[str, str]:
        return {}

    asgi = RequestContextMiddleware(app, service="test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url="http://t.test"
    ) as client:
        refused = await client.get("/limited")
        plain = await client.get("/open")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "9"
    assert refused.headers["ratelimit-limit"] == "3"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-reset"] == "9"
    assert refused.headers["ratelimit-policy"] == "3;w=60"
    assert plain.status_code == 200
    assert "ratelimit-limit" not in plain.headers  # nothing carried over from the last request
