"""Settings refuse public development secrets outside development; logs never carry secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from datapark_catalog.settings import CatalogSettings
from datapark_kit.logs import JsonFormatter
from datapark_trading.settings import TradingSettings


def test_development_may_use_the_development_secrets() -> None:
    assert CatalogSettings(environment="development").environment == "development"


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_production_refuses_development_secrets_and_says_which(environment: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CatalogSettings(environment=environment)
    message = str(raised.value)
    assert "jwt_private_key_pem" in message
    assert "database_url" in message
    assert "keeps development defaults" in message


def test_production_with_real_secrets_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAPARK_TRADING_ENVIRONMENT", "production")
    monkeypatch.setenv(
        "DATAPARK_TRADING_DATABASE_URL",
        "postgresql+asyncpg://trading:s3cret-from-vault@db:5432/datapark",
    )
    monkeypatch.setenv("DATAPARK_TRADING_JWKS_URL", "https://catalog.park/.well-known/jwks.json")
    checkpoint_key = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    monkeypatch.setenv("DATAPARK_TRADING_CHECKPOINT_SIGNING_KEY_PEM", checkpoint_key.decode())
    settings = TradingSettings()
    assert settings.environment == "production"
    assert "s3cret" not in repr(settings)


def _log(record_args: dict[str, object], message: str) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("catalog"))
    logger = logging.getLogger(f"test.logs.{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning(message, extra=record_args)
    return dict(json.loads(stream.getvalue()))


def test_json_logs_carry_trace_ids_and_mask_secrets() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        entry = _log(
            {
                "client_secret": "hunter2",
                "headers": {"Authorization": "Bearer abc.def.ghi"},
                "order_id": "o-1",
            },
            "token request client_secret=hunter2 with Bearer eyJhbGciOi.eyJzdWIi.c2ln from "
            "postgresql+asyncpg://datapark:pw@db/x",
        )
        expected_trace = format(span.get_span_context().trace_id, "032x")
    text = json.dumps(entry)
    assert "hunter2" not in text
    assert "eyJhbGciOi" not in text
    assert ":pw@" not in text
    assert entry["client_secret"] == "***"
    assert entry["headers"] == {"Authorization": "***"}
    assert entry["order_id"] == "o-1"
    assert entry["trace_id"] == expected_trace
    assert entry["service"] == "catalog"
    assert trace.get_current_span() is not None


async def test_a_rotated_signing_key_is_fetched_once_then_trusted(monkeypatch) -> None:
    """A token from a key the verifier has not seen makes it re-read the JWKS, at most once a
    minute; an unknown key after that stays refused."""
    import uuid

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from datapark_kit.auth import TokenSigner, TokenVerifier, jwks_from_private_key
    from datapark_kit.devkeys import DEV_JWT_PUBLIC_JWKS
    from datapark_kit.errors import Unauthorized

    new_pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        .decode()
    )
    signer = TokenSigner(
        new_pem, key_id="rotated-2", issuer="datapark-catalog", audience="datapark", ttl_seconds=60
    )
    token = signer.issue(client_id="c", participant_id=uuid.uuid4(), roles=["auditor"])
    verifier = TokenVerifier(
        DEV_JWT_PUBLIC_JWKS,
        issuer="datapark-catalog",
        audience="datapark",
        jwks_url="http://catalog.invalid/.well-known/jwks.json",
    )
    fetched: list[str] = []

    class Response:
        text = jwks_from_private_key(new_pem, "rotated-2")

        def raise_for_status(self) -> None:
            return None

    class Client:
        async def __aenter__(self) -> Client:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def get(self, url: str) -> Response:
            fetched.append(url)
            return Response()

    monkeypatch.setattr("datapark_kit.httpclient.make_client", lambda **_: Client())
    principal = await verifier.verify_or_refresh(token)
    assert principal.roles == frozenset({"auditor"})
    assert len(fetched) == 1
    stranger = TokenSigner(
        Ed25519PrivateKey.generate()
        .private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        .decode(),
        key_id="forged",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=60,
    )
    with pytest.raises(Unauthorized):
        await verifier.verify_or_refresh(
            stranger.issue(client_id="x", participant_id=uuid.uuid4(), roles=["operator"])
        )
    assert len(fetched) == 1  # no second fetch within the minute
