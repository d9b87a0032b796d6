"""Webhook signatures in the shape Stripe uses: ``Datapark-Signature: t=<unix>,v1=<hex>``.

The signature is HMAC-SHA256 with the subscription's secret over ``"<t>." + body``. A receiver
recomputes it, compares in constant time, and refuses a timestamp outside its tolerance so a
captured delivery cannot be replayed later. Several ``v1`` values may be present while a
secret is being rotated; one match suffices.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from datapark_kit.errors import Unauthorized
from datapark_trading.problems import TradingProblem

HEADER = "Datapark-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secrets: str | list[str], body: bytes, *, at: datetime) -> str:
    """The header value for ``body`` sent at ``at``, one ``v1`` per secret."""
    keys = [secrets] if isinstance(secrets, str) else secrets
    if not keys:
        raise ValueError("at least one secret signs a webhook")
    timestamp = int(at.timestamp())
    parts = [f"t={timestamp}"] + [f"{SCHEME}={signature(k, timestamp, body)}" for k in keys]
    return ",".join(parts)


def parse(header: str) -> tuple[int, list[str]]:
    """The timestamp and the ``v1`` signatures of a header; 401 if it is malformed."""
    timestamp: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise Unauthorized(
                    "malformed signature timestamp", code=TradingProblem.BAD_SIGNATURE
                ) from None
        elif key == SCHEME:
            sigs.append(value)
    if timestamp is None or not sigs:
        raise Unauthorized("signature header lacks t= or v1=", code=TradingProblem.BAD_SIGNATURE)
    return timestamp, sigs


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a delivery's signature and freshness; returns its timestamp, else 401."""
    timestamp, sigs = parse(header)
    if abs(int(now.timestamp()) - timestamp) > tolerance_seconds:
        raise Unauthorized(
            "signature timestamp outside the tolerance", code=TradingProblem.STALE_SIGNATURE
        )
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in sigs):
        raise Unauthorized("signature does not match", code=TradingProblem.BAD_SIGNATURE)
    return timestamp
