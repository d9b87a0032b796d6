"""Settings shared by every service; each service subclasses with its own env prefix.

A service refuses to start outside development when a secret still has its built-in
development value: those values are public (they are in this repository).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from datapark_kit.devkeys import (
    DEV_CHECKPOINT_KEY_ID,
    DEV_CHECKPOINT_PRIVATE_KEY_PEM,
    DEV_JWT_PRIVATE_KEY_PEM,
    DEV_JWT_PUBLIC_JWKS,
)

DEV_DATABASE_PASSWORD = "datapark"
# The local stack's ports (deploy/local/stack.sh reads the same variables).
LOCAL_PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
LOCAL_KAFKA_PORT = os.environ.get("DATAPARK_KAFKA_PORT", "9092")
DEV_DATABASE_URL = (
    f"postgresql+asyncpg://datapark:{DEV_DATABASE_PASSWORD}@127.0.0.1:{LOCAL_PG_PORT}/datapark"
)


class InsecureSettings(ValueError):
    """Raised at start-up when a production-like environment keeps a development secret."""


class ServiceSettings(BaseSettings):
    """What every datapark service needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="DATAPARK_", env_file=None, extra="ignore")

    service_name: str = "datapark"
    environment: Literal["development", "test", "staging", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: SecretStr = SecretStr(DEV_DATABASE_URL)
    database_pool_size: int = 10
    kafka_bootstrap: str = f"127.0.0.1:{LOCAL_KAFKA_PORT}"
    # Kafka connection security (datapark_eventing.kafka.KafkaClientConfig reads these).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    jwt_issuer: str = "datapark-catalog"
    jwt_audience: str = "datapark"
    jwt_public_jwks: str = DEV_JWT_PUBLIC_JWKS
    jwks_url: str | None = None
    otlp_endpoint: str | None = None
    # Share of root traces recorded when an exporter is configured (none recorded without).
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    log_level: str = "INFO"
    log_json: bool = True
    run_workers: bool = True
    consumer_group_prefix: str = ""
    relay_poll_seconds: float = 1.0
    relay_batch_size: int = 200
    # Retention of platform tables by the workers (datapark_eventing.retention).
    retention_outbox_hours: float = Field(default=168.0, gt=0)
    retention_idempotency_hours: float = Field(default=24.0, gt=0)
    retention_batch_size: int = Field(default=1000, ge=1)
    retention_max_batches: int = Field(default=20, ge=1)
    retention_interval_seconds: float = Field(default=300.0, gt=0)
    # Signed relay checkpoints for auditors (datapark_eventing.checkpoints, docs/auditing.md).
    checkpoint_signing_key_pem: SecretStr = SecretStr(DEV_CHECKPOINT_PRIVATE_KEY_PEM)
    checkpoint_key_id: str = DEV_CHECKPOINT_KEY_ID
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: float = Field(default=30.0, gt=0)
    # What one client may ask of the HTTP server (datapark_kit.guards, datapark_kit.serve).
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    body_read_timeout_seconds: float = Field(default=15.0, gt=0)
    header_read_timeout_seconds: float = Field(default=10.0, gt=0)
    keep_alive_timeout_seconds: int = Field(default=5, ge=1)
    max_header_bytes: int = Field(default=16_384, ge=1024)
    max_connections: int = Field(default=1000, ge=1)
    # Addresses of the reverse proxies whose X-Forwarded-For / -Proto are believed (comma
    # separated IPs or networks); empty: none, the peer's own address is the client's.
    forwarded_allow_ips: str = ""
    # API worker processes (uvicorn workers sharing the listening socket; datapark_kit.serve).
    # 1 for local runs and tests; production: about one per core the pod may use (the API
    # Deployment runs RUN_WORKERS=false, its background work runs in the worker Deployment).
    web_workers: int = Field(default=1, ge=1, le=64)

    def development_secrets(self) -> dict[str, bool]:
        """Which secrets still hold the public development value (subclasses add theirs)."""
        return {
            "database_url": make_url(self.database_url.get_secret_value()).password
            == DEV_DATABASE_PASSWORD,
            "jwt_public_jwks": self.jwt_public_jwks == DEV_JWT_PUBLIC_JWKS and not self.jwks_url,
            "checkpoint_signing_key_pem": self.checkpoint_signing_key_pem.get_secret_value()
            == DEV_CHECKPOINT_PRIVATE_KEY_PEM,
        }

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> ServiceSettings:
        if self.environment in ("development", "test"):
            return self
        if self.jwks_url and self.jwt_public_jwks == DEV_JWT_PUBLIC_JWKS:
            # Trust only what the issuer publishes, never the public development key.
            self.jwt_public_jwks = '{"keys":[]}'

        kept = sorted(name for name, is_dev in self.development_secrets().items() if is_dev)
        if kept:
            raise InsecureSettings(
                f"environment '{self.environment}' keeps development defaults for: "
                f"{', '.join(kept)}; set them (env prefix {self.model_config.get('env_prefix')})"
            )
        return self


class IssuerSettings(ServiceSettings):
    """Settings of the token issuer (catalog): it also holds the signing key."""

    jwt_private_key_pem: SecretStr = SecretStr(DEV_JWT_PRIVATE_KEY_PEM)
    jwt_key_id: str = "datapark-dev-1"
    token_ttl_seconds: int = 900
    token_max_failures: int = 5
    token_lockout_seconds: int = 300
    # Failures for one client id from all sources together before it is locked everywhere.
    token_max_failures_per_client: int = 50
    # Per source address, checked before any hashing: token requests that did not succeed
    # (failed or still running) per window, and requests being served at once.
    token_failures_per_source: int = Field(default=100, ge=1)
    token_source_window_seconds: int = Field(default=60, ge=1)
    token_concurrent_per_source: int = Field(default=4, ge=1)
    # A source turned away by that throttle waits this long for its 429: a flooder that does
    # not honour Retry-After cannot turn cheap refusals into a request storm.
    token_throttle_delay_seconds: float = Field(default=1.0, ge=0)
    # Secret hashing runs in this many worker threads; at most this many requests wait.
    token_hash_workers: int = Field(default=2, ge=1)
    token_hash_queue: int = Field(default=16, ge=0)

    def development_secrets(self) -> dict[str, bool]:
        found = super().development_secrets()
        # The issuer publishes the public half of its own signing key.
        del found["jwt_public_jwks"]
        found["jwt_private_key_pem"] = (
            self.jwt_private_key_pem.get_secret_value() == DEV_JWT_PRIVATE_KEY_PEM
        )
        return found
