"""Settings refuse public development secrets outside development; logs never carry secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
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
