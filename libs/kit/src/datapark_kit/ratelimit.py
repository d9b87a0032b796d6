"""Rate-limit headers: where the caller stands against the quota of a rate-limited path.

The form is the IETF HTTPAPI working group's draft "RateLimit Fields for HTTP",
draft-ietf-httpapi-ratelimit-headers-06 (the last revision with separate fields; -07 and
later fold them into one ``RateLimit`` field). Each answer of a rate-limited path, success,
refusal or 429, carries:

- ``RateLimit-Limit``: the quota, requests per window;
- ``RateLimit-Remaining``: what is left of it in the current window;
- ``RateLimit-Reset``: seconds until the window starts anew (delta seconds, never a date);
- ``RateLimit-Policy``: the quota and its window, ``<limit>;w=<seconds>``.

A 429 also carries ``Retry-After`` (seconds), which may be shorter than ``RateLimit-Reset``
(too many requests in flight at once clears as soon as one ends).

The limiter that decides (e.g. catalog's token endpoint throttle) calls ``report(...)`` with
its quota while it handles the request; ``datapark_kit.app.RequestContextMiddleware`` starts
each request with ``begin()`` and adds ``headers()`` to whatever answer goes out, a problem
included. When several quotas apply, the one nearest to running out is sent, as the draft
asks.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

DRAFT = "draft-ietf-httpapi-ratelimit-headers-06"
LIMIT = "RateLimit-Limit"
REMAINING = "RateLimit-Remaining"
RESET = "RateLimit-Reset"
POLICY = "RateLimit-Policy"


@dataclass(frozen=True)
class RateLimit:
    """One quota as it stands for this caller now."""

    limit: int
    remaining: int
    reset: int
    window: int

    def headers(self) -> dict[str, str]:
        return {
            LIMIT: str(self.limit),
            REMAINING: str(max(0, min(self.remaining, self.limit))),
            RESET: str(max(0, self.reset)),
            POLICY: f"{self.limit};w={self.window}",
        }

    def nearer(self, other: RateLimit) -> RateLimit:
        """The one of the two nearer to running out (fewer left; then the later reset)."""
        return min(self, other, key=lambda q: (max(0, q.remaining), -q.reset))


# The quota reported for the request being handled (a list, so a report made in another
# task's copy of the context still reaches the request's middleware).
_reported: ContextVar[list[RateLimit] | None] = ContextVar("datapark_rate_limit", default=None)


def begin() -> tuple[list[RateLimit], Token[list[RateLimit] | None]]:
    """Start a request with nothing reported: the holder the middleware reads its headers
    from, and the token that ends the request (``_reported.reset``)."""
    holder: list[RateLimit] = []
    return holder, _reported.set(holder)


def end(token: Token[list[RateLimit] | None]) -> None:
    _reported.reset(token)


def report(quota: RateLimit) -> None:
    """Tell the answer to this request where the caller stands against ``quota``."""
    holder = _reported.get()
    if holder is None:
        return  # not in a request (a test calling a service directly)
    holder[:] = [holder[0].nearer(quota) if holder else quota]


def headers(holder: list[RateLimit]) -> list[tuple[bytes, bytes]]:
    """The reported quota as raw response headers (none when nothing was reported)."""
    if not holder:
        return []
    return [(k.lower().encode(), v.encode()) for k, v in holder[0].headers().items()]


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


# How the headers are documented on the answers of a rate-limited path (OpenAPI).
OPENAPI_HEADERS: dict[str, dict[str, Any]] = {
    LIMIT: _header(f"Requests allowed per window ({DRAFT})."),
    REMAINING: _header("Requests left in the current window."),
    RESET: _header("Seconds until the window starts anew."),
    POLICY: {
        "description": "The quota and its window in seconds, `<limit>;w=<seconds>`.",
        "schema": {"type": "string", "pattern": r"^\d+;w=\d+$"},
        "example": "10;w=60",
    },
}
