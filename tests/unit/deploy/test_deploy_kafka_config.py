"""The one Kafka client configuration: what it hands to aiokafka, what it refuses, what it hides,
and the per-service access derived from the topic registry."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from datapark_contracts.topics import CONSUMER_GROUPS, TOPICS, all_topics
from datapark_eventing.access import acl_command_args, service_access
from datapark_eventing.kafka import KafkaClientConfig, KafkaConfigError, kafka_config
from datapark_eventing.topics import ReplicationRefused, check_replication

SECRET = "s3cr3t-value-never-shown"


def _sasl(**extra: object) -> KafkaClientConfig:
    values: dict[str, object] = {
        "bootstrap": "kafka:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "rental",
        "sasl_password": SecretStr(SECRET),
    }
    values.update(extra)
    return KafkaClientConfig(**values)  # type: ignore[arg-type]


def test_a_bootstrap_string_means_plaintext() -> None:
    options = kafka_config("127.0.0.1:9092").options()
    assert options == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_options_carry_mechanism_credentials_and_a_verifying_tls_context() -> None:
    options = _sasl().options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "rental"
    assert options["sasl_plain_password"] == SECRET
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_the_password_appears_in_no_repr_or_description() -> None:
    config = _sasl()
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert SECRET not in config.describe()
    assert "rental" in config.describe()
    assert "SASL_SSL" in config.describe()


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sasl_password": None}, "kafka_sasl_password"),
        ({"sasl_mechanism": None}, "kafka_sasl_mechanism"),
        ({"security_protocol": "SSL"}, "kafka_sasl_"),
        ({"security_protocol": "SASL_PLAINTEXT", "ssl_cafile": "/ca.crt"}, "kafka_ssl_"),
        ({"ssl_certfile": "/client.crt"}, "kafka_ssl_keyfile"),
        ({"security_protocol": "TLS"}, "kafka_security_protocol"),
        ({"sasl_mechanism": "GSSAPI"}, "kafka_sasl_mechanism"),
    ],
)
def test_contradicting_settings_are_refused_naming_the_setting(
    values: dict[str, object], named: str
) -> None:
    with pytest.raises(KafkaConfigError, match=named):
        _sasl(**values)


def test_from_env_reads_every_setting_and_a_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(SECRET + "\n")
    config = KafkaClientConfig.from_env(
        {
            "DATAPARK_KAFKA_BOOTSTRAP": "kafka-bootstrap:9093",
            "DATAPARK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "DATAPARK_KAFKA_SSL_CAFILE": "/etc/kafka/ca.crt",
            "DATAPARK_KAFKA_SASL_MECHANISM": "PLAIN",
            "DATAPARK_KAFKA_SASL_USERNAME": "audit",
            "DATAPARK_KAFKA_SASL_PASSWORD_FILE": str(secret),
        }
    )
    assert config.bootstrap == "kafka-bootstrap:9093"
    assert config.ssl_cafile == "/etc/kafka/ca.crt"
    assert config.sasl_mechanism == "PLAIN"
    assert config.sasl_password is not None
    assert config.sasl_password.get_secret_value() == SECRET


def test_from_settings_uses_the_service_settings() -> None:
    from datapark_kit.settings import ServiceSettings

    settings = ServiceSettings(
        kafka_bootstrap="k:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="trading",
        kafka_sasl_password=SecretStr(SECRET),
    )
    config = KafkaClientConfig.from_settings(settings)
    assert config.options()["sasl_plain_username"] == "trading"
    assert SECRET not in repr(settings)


def test_each_service_writes_only_its_topics_and_reads_only_what_it_consumes() -> None:
    access = {a.service: a for a in service_access()}
    services = set(access) - {"audit"}
    for topic in TOPICS:
        writers = {s for s, a in access.items() if topic.name in a.writes}
        # the platform's shared topics (relay checkpoints) are written by every service's relay
        assert writers == (services if topic.owner == "platform" else {topic.owner}), topic.name
    assert access["audit"].writes == ()
    assert set(access["audit"].reads) == {t.name for t in all_topics()}
    for group in CONSUMER_GROUPS:
        assert set(access[group.service].reads) == set(group.topics)
        assert group.dlq in access[group.service].writes
        assert access[group.service].groups == (group.group_id,)
    assert access["catalog"].reads == ()


def test_acl_command_lines_grant_exactly_the_derived_access() -> None:
    lines = [" ".join(args) for args in acl_command_args()]
    assert any(
        line.startswith("--allow-principal User:rental --operation Write")
        and "--topic rental.orders.v1" in line
        for line in lines
    )
    assert not any(
        "User:rental --operation Write" in line and "catalog.participants.v1" in line
        for line in lines
    )


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_replication_factor_one_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ReplicationRefused, match="DATAPARK_KAFKA_REPLICATION_FACTOR"):
        check_replication(1, environment)
    check_replication(3, environment)


def test_replication_factor_one_is_fine_in_development() -> None:
    check_replication(1, "development")
    with pytest.raises(ReplicationRefused):
        check_replication(0, "development")
