"""A verified token is remembered until it expires (``TokenVerifier.verify``): the same bytes
are not decoded and checked again on every request, yet an expired token is still refused and
a reloaded key set forgets every token."""

from __future__ import annotations

import time
import uuid

import pytest

from datapark_kit import auth
from datapark_kit.auth import TokenSigner, TokenVerifier
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM, DEV_JWT_PUBLIC_JWKS
from datapark_kit.errors import Unauthorized


def _signer(ttl: int = 60) -> TokenSigner:
    return TokenSigner(
        DEV_JWT_PRIVATE_KEY_PEM,
        key_id="datapark-dev-1",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=ttl,
    )


def _verifier() -> TokenVerifier:
    return TokenVerifier(DEV_JWT_PUBLIC_JWKS, issuer="datapark-catalog", audience="datapark")


def test_a_token_is_decoded_once_while_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = _verifier()
    pid = uuid.uuid4()
    token = _signer().issue(client_id="c", participant_id=pid, roles=["customer"])
    first = verifier.verify(token)
    decoded: list[str] = []
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: decoded.append("x"))
    assert verifier.verify(token) is first
    assert first.participant_id == pid
    assert decoded == []


def test_a_remembered_token_past_its_expiry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = _verifier()
    token = _signer(ttl=60).issue(client_id="c", participant_id=uuid.uuid4(), roles=["customer"])
    verifier.verify(token)
    later = time.time() + 60 + verifier.leeway + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    monkeypatch.setattr(auth.jwt.api_jwt, "datetime", _frozen_datetime(later))
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(token)
    assert refused.value.code == "token_expired"


def test_reloading_the_keys_forgets_verified_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = _verifier()
    token = _signer().issue(client_id="c", participant_id=uuid.uuid4(), roles=["customer"])
    verifier.verify(token)
    verifier.load_jwks('{"keys": []}')  # the key was withdrawn
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(token)
    assert refused.value.code == "unknown_key"


def _frozen_datetime(at: float) -> type:
    from datetime import UTC, datetime

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(at, tz=UTC)

    return Frozen
