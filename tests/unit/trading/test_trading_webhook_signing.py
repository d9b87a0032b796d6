"""Webhook signatures (``t=…,v1=…``) and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from datapark_kit.errors import Unauthorized
from datapark_trading.webhooks import retry, signing
from datapark_trading.webhooks.retry import Backoff, Delivery, DeliveryStatus

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "whsec_test_5d3c1b2a"
BODY = b'{"type":"datapark.trading.agreement.concluded.v1","data":{"amount":"100.00"}}'


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    header = signing.sign(SECRET, BODY, at=AT)
    ts = int(AT.timestamp())
    expected = hmac.new(SECRET.encode(), f"{ts}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={ts},v1={expected}"
    assert signing.verify(SECRET, header, BODY, now=AT) == ts


def test_tampered_body_wrong_secret_and_stale_timestamps_are_refused() -> None:
    header = signing.sign(SECRET, BODY, at=AT)
    with pytest.raises(Unauthorized) as body:
        signing.verify(SECRET, header, BODY.replace(b"100.00", b"900.00"), now=AT)
    assert body.value.code == "bad_signature"
    with pytest.raises(Unauthorized):
        signing.verify("another-secret", header, BODY, now=AT)
    with pytest.raises(Unauthorized) as stale:
        signing.verify(SECRET, header, BODY, now=AT + timedelta(seconds=301))
    assert stale.value.code == "stale_signature"
    with pytest.raises(Unauthorized):
        signing.verify(SECRET, header, BODY, now=AT - timedelta(seconds=301))
    assert signing.verify(SECRET, header, BODY, now=AT + timedelta(seconds=300))
    assert signing.verify(SECRET, header, BODY, now=AT + timedelta(hours=1), tolerance_seconds=3600)


def test_a_rotated_secret_is_accepted_during_the_overlap() -> None:
    header = signing.sign(["new-secret", SECRET], BODY, at=AT)
    assert header.count("v1=") == 2
    assert signing.verify(SECRET, header, BODY, now=AT)
    assert signing.verify("new-secret", header, BODY, now=AT)
    with pytest.raises(ValueError, match="secret"):
        signing.sign([], BODY, at=AT)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=123", "t=abc,v1=00", "garbage", "t=1,v0=00"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(Unauthorized):
        signing.verify(SECRET, header, BODY, now=AT)


def test_backoff_doubles_up_to_the_cap() -> None:
    b = Backoff(base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=8)
    assert [d.total_seconds() for d in b.schedule()] == [10, 20, 40, 80, 160, 300, 300]
    assert b.delay(2, jitter=0.5) == timedelta(seconds=30)
    with pytest.raises(ValueError, match="attempts"):
        b.delay(0)
    with pytest.raises(ValueError, match="jitter"):
        b.delay(1, jitter=1.5)


def test_failed_deliveries_are_retried_then_kept_as_exhausted_and_redeliverable() -> None:
    b = Backoff(base=timedelta(seconds=1), cap=timedelta(seconds=4), max_attempts=3)
    d = Delivery()
    d = retry.failed(d, at=AT, error="connect refused", backoff=b)
    assert (d.status, d.attempts, d.next_attempt_at) == (
        DeliveryStatus.RETRYING,
        1,
        AT + timedelta(seconds=1),
    )
    d = retry.failed(d, at=AT, error="HTTP 503", backoff=b)
    assert d.next_attempt_at == AT + timedelta(seconds=2)
    d = retry.failed(d, at=AT, error="HTTP 503", backoff=b)
    assert (d.status, d.attempts, d.next_attempt_at, d.last_error) == (
        DeliveryStatus.EXHAUSTED,
        3,
        None,
        "HTTP 503",
    )
    d = retry.redeliver(d, at=AT)
    assert (d.status, d.attempts, d.next_attempt_at) == (DeliveryStatus.PENDING, 0, AT)
    d = retry.succeeded(d, at=AT)
    assert (d.status, d.attempts, d.delivered_at, d.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        AT,
        None,
    )
