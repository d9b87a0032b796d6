"""Kafka clients configured the one way the platform uses them.

Every producer, consumer, admin client and replay is built here from one
:class:`KafkaClientConfig`: the bootstrap servers plus the connection's security (TLS with an
optional client certificate, SASL PLAIN or SCRAM). Functions accept a plain bootstrap string
too, which means PLAINTEXT (the local stack). The password never appears in ``repr`` or logs.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.client import AIOKafkaClient
from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

ENV_PREFIX = "DATAPARK_KAFKA_"


class KafkaConfigError(ValueError):
    """The Kafka connection settings contradict each other (named in the message)."""


@dataclass(frozen=True)
class KafkaClientConfig:
    """Where the brokers are and how to authenticate to them."""

    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.security_protocol not in get_args(SecurityProtocol):
            raise KafkaConfigError(f"kafka_security_protocol: unknown {self.security_protocol!r}")
        if self.sasl_mechanism is not None and self.sasl_mechanism not in get_args(SaslMechanism):
            raise KafkaConfigError(f"kafka_sasl_mechanism: unknown {self.sasl_mechanism!r}")
        if self.uses_sasl:
            missing = [
                name
                for name, value in (
                    ("kafka_sasl_mechanism", self.sasl_mechanism),
                    ("kafka_sasl_username", self.sasl_username),
                    ("kafka_sasl_password", self.sasl_password),
                )
                if not value
            ]
            if missing:
                raise KafkaConfigError(
                    f"{self.security_protocol} needs {', '.join(missing)} to be set"
                )
        elif self.sasl_mechanism or self.sasl_username or self.sasl_password:
            raise KafkaConfigError(
                f"kafka_sasl_* settings need a SASL security protocol, not {self.security_protocol}"
            )
        if not self.uses_tls and (self.ssl_cafile or self.ssl_certfile or self.ssl_keyfile):
            raise KafkaConfigError(
                f"kafka_ssl_* settings need SSL or SASL_SSL, not {self.security_protocol}"
            )
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise KafkaConfigError("kafka_ssl_certfile and kafka_ssl_keyfile go together")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verify the brokers against the CA (system roots when no CA file is given)."""
        if not self.uses_tls:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
        )
        return context

    def options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin, client)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            assert self.sasl_password is not None  # checked in __post_init__
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options

    def describe(self) -> str:
        """For logs: where and how, never the password."""
        who = f" as {self.sasl_username} ({self.sasl_mechanism})" if self.uses_sasl else ""
        return f"{self.bootstrap} {self.security_protocol}{who}"

    @classmethod
    def from_settings(cls, settings: Any) -> KafkaClientConfig:
        """From a service's settings (``kafka_bootstrap``, ``kafka_security_protocol``, ...)."""
        return cls(
            bootstrap=settings.kafka_bootstrap,
            security_protocol=getattr(settings, "kafka_security_protocol", "PLAINTEXT"),
            ssl_cafile=getattr(settings, "kafka_ssl_cafile", None),
            ssl_certfile=getattr(settings, "kafka_ssl_certfile", None),
            ssl_keyfile=getattr(settings, "kafka_ssl_keyfile", None),
            sasl_mechanism=getattr(settings, "kafka_sasl_mechanism", None),
            sasl_username=getattr(settings, "kafka_sasl_username", None),
            sasl_password=getattr(settings, "kafka_sasl_password", None),
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, prefix: str = ENV_PREFIX
    ) -> KafkaClientConfig:
        """For the command-line tools (topics, replay, audit): ``DATAPARK_KAFKA_BOOTSTRAP``,
        ``DATAPARK_KAFKA_SECURITY_PROTOCOL``, ``..._SSL_CAFILE``, ``..._SSL_CERTFILE``,
        ``..._SSL_KEYFILE``, ``..._SASL_MECHANISM``, ``..._SASL_USERNAME``,
        ``..._SASL_PASSWORD`` (or ``..._SASL_PASSWORD_FILE``, a mounted secret)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(prefix + name) or None

        password = get("SASL_PASSWORD")
        password_file = get("SASL_PASSWORD_FILE")
        if password is None and password_file is not None:
            with open(password_file, encoding="utf-8") as handle:
                password = handle.read().strip()
        port = env.get("DATAPARK_KAFKA_PORT", "9092")
        return cls(
            bootstrap=get("BOOTSTRAP") or f"127.0.0.1:{port}",
            security_protocol=get("SECURITY_PROTOCOL") or "PLAINTEXT",  # type: ignore[arg-type]
            ssl_cafile=get("SSL_CAFILE"),
            ssl_certfile=get("SSL_CERTFILE"),
            ssl_keyfile=get("SSL_KEYFILE"),
            sasl_mechanism=get("SASL_MECHANISM"),  # type: ignore[arg-type]
            sasl_username=get("SASL_USERNAME"),
            sasl_password=SecretStr(password) if password else None,
        )


Kafka = str | KafkaClientConfig
"""A bootstrap string (PLAINTEXT) or a full client configuration."""


def kafka_config(kafka: Kafka) -> KafkaClientConfig:
    return kafka if isinstance(kafka, KafkaClientConfig) else KafkaClientConfig(bootstrap=kafka)


def make_producer(
    kafka: Kafka, *, client_id: str, transactional_id: str | None = None
) -> AIOKafkaProducer:
    """An idempotent producer: ``acks=all``, retries without duplicates or reordering.

    With a ``transactional_id`` it is also transactional: every send belongs to a transaction
    that readers with ``isolation_level="read_committed"`` see only once it commits, and
    starting a producer with the same id fences every older one (its open transaction is
    aborted, its later writes refused with ``ProducerFenced``)."""
    options: dict[str, Any] = {}
    if transactional_id is not None:
        # a relay killed inside a transaction holds its partitions' last stable offset (what
        # read_committed consumers may read up to) until the next leader fences it or this
        # timeout aborts it
        options |= {"transactional_id": transactional_id, "transaction_timeout_ms": 30_000}
    return AIOKafkaProducer(
        **kafka_config(kafka).options(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
        **options,
    )


def is_transactional(producer: AIOKafkaProducer) -> bool:
    """Whether ``producer`` was made with a ``transactional_id`` (its sends need a transaction)."""
    manager = getattr(producer, "_txn_manager", None)
    return getattr(manager, "transactional_id", None) is not None


def make_consumer(kafka: Kafka, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer of ``topics`` (or of assigned partitions when none are given)."""
    return AIOKafkaConsumer(*topics, **kafka_config(kafka).options(), **options)


def make_admin(kafka: Kafka, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**kafka_config(kafka).options(), **options)


async def broker_reachable(kafka: Kafka) -> None:
    """Raise unless the cluster answers a metadata request (authenticating as configured)."""
    client = AIOKafkaClient(**kafka_config(kafka).options(), request_timeout_ms=2_000)
    try:
        await client.bootstrap()
    finally:
        await client.close()
