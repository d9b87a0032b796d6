"""Kafka over SASL_SSL for real: the second broker of the local stack (``stack.sh secure-up``:
TLS with a generated CA, client certificates required, SCRAM-SHA-512 users, ACLs derived from
the topic registry). A service's relay and consumer run over it exactly as the service builds
them from its settings, and the ACLs refuse what a service does not own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr
from sqlalchemy import MetaData, func, select, text
from support.eventing_schema import participant_registered, running
from support.helpers import eventually
from support.kafka_secure import secure_up

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.topics import CATALOG_PARTICIPANTS, TRADING_TRADES
from datapark_eventing.kafka import (
    KafkaClientConfig,
    broker_reachable,
    make_consumer,
    make_producer,
)
from datapark_eventing.outbox import Outbox
from datapark_eventing.replay import replay
from datapark_eventing.tables import EventingTables, eventing_tables
from datapark_eventing.topics import ensure_topics
from datapark_eventing.workers import build_workers
from datapark_kit.db import Database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure_env() -> dict[str, str]:
    """Start (or find running) the SASL_SSL broker; its client settings, passwords included."""
    return secure_up()


@pytest.fixture(scope="module")
def as_user(secure_env: dict[str, str]) -> Callable[[str], KafkaClientConfig]:
    def config(user: str) -> KafkaClientConfig:
        env = {
            **secure_env,
            "DATAPARK_KAFKA_SASL_USERNAME": user,
            "DATAPARK_KAFKA_SASL_PASSWORD": secure_env[
                f"DATAPARK_KAFKA_SASL_PASSWORD_{user.upper()}"
            ],
        }
        return KafkaClientConfig.from_env(env)

    return config


@pytest.fixture(scope="module")
async def secure_topics(as_user: Callable[[str], KafkaClientConfig]) -> None:
    await ensure_topics(as_user("admin"))


@pytest.fixture
async def isolated(migrated_database: str) -> AsyncIterator[tuple[Database, EventingTables]]:
    schema = f"sasl_{uuid.uuid4().hex[:8]}"
    tables = eventing_tables(MetaData(schema=schema))
    database = Database(migrated_database, pool_size=3)
    async with database.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(tables.outbox.metadata.create_all)
    yield database, tables
    async with database.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await database.dispose()


def _settings(service: str, as_user: Callable[[str], KafkaClientConfig], **extra: Any) -> Any:
    from conftest import service_settings

    kafka = as_user(service)
    return service_settings(
        service,
        kafka_bootstrap=kafka.bootstrap,
        kafka_security_protocol=kafka.security_protocol,
        kafka_ssl_cafile=kafka.ssl_cafile,
        kafka_ssl_certfile=kafka.ssl_certfile,
        kafka_ssl_keyfile=kafka.ssl_keyfile,
        kafka_sasl_mechanism=kafka.sasl_mechanism,
        kafka_sasl_username=kafka.sasl_username,
        kafka_sasl_password=kafka.sasl_password,
        consumer_group_prefix="",  # the ACLs name the production group ids
        **extra,
    )


async def test_relay_and_consumer_run_over_sasl_ssl(isolated, as_user, secure_topics) -> None:
    database, tables = isolated
    participant = uuid.uuid4()
    handled: list[str] = []

    async def on_registered(session: Any, envelope: Any, payload: Any) -> None:
        handled.append(envelope.subject)

    app = SimpleNamespace(state=SimpleNamespace(database=database))
    # catalog's relay publishes what catalog's outbox holds, as principal "catalog"
    catalog_relay, _ = build_workers(_settings("catalog", as_user), tables, None, app)  # type: ignore[arg-type]
    # rental's consumer (group rental.worker) reads catalog's topic, as principal "rental"
    _, rental_consumer = build_workers(
        _settings("rental", as_user),
        tables,
        {ParticipantRegistered.event_type: on_registered},
        app,  # type: ignore[arg-type]
    )
    assert rental_consumer is not None
    assert catalog_relay.bootstrap.security_protocol == "SASL_SSL"  # type: ignore[union-attr]

    async with database.unit_of_work() as session:
        await Outbox(tables, "catalog").append(
            session, participant_registered(participant, "SASL Test Co")
        )
    async with running(catalog_relay.run(), rental_consumer.run()):

        async def sent() -> bool:
            async with database.unit_of_work() as session:
                unsent = await session.scalar(
                    select(func.count())
                    .select_from(tables.outbox)
                    .where(tables.outbox.c.sent_at.is_(None))
                )
            return unsent == 0

        await eventually(sent, timeout=60)
        await eventually(lambda: _async(str(participant) in handled), timeout=60)

    async with database.unit_of_work() as session:
        inbox = await session.scalar(
            select(func.count())
            .select_from(tables.inbox)
            .where(tables.inbox.c.consumer == "rental.worker")
        )
    assert inbox >= 1
    # replay (no group) as the auditor, who reads every topic
    seen = [
        r.envelope.subject
        async for r in replay(as_user("audit"), [CATALOG_PARTICIPANTS])
        if r.envelope is not None
    ]
    assert str(participant) in seen


async def _async(value: bool) -> bool:
    return value


async def test_acl_refuses_a_write_to_another_services_topic(as_user, secure_topics) -> None:
    producer = make_producer(as_user("rental"), client_id="rental-acl-test")
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(CATALOG_PARTICIPANTS, value=b"{}", key=b"x")
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(TRADING_TRADES, value=b"{}", key=b"x")
    finally:
        await producer.stop()
    # the auditor reads, never writes: not even an idempotent producer id is granted
    with pytest.raises(ClusterAuthorizationFailedError):
        await _send_once(as_user("audit"), CATALOG_PARTICIPANTS)


async def _send_once(kafka: KafkaClientConfig, topic: str) -> None:
    producer = make_producer(kafka, client_id="acl-test")
    try:
        await producer.start()
        await producer.send_and_wait(topic, value=b"{}", key=b"x")
    finally:
        await producer.stop()


async def test_acl_refuses_reading_a_topic_the_service_does_not_consume(
    as_user, secure_topics
) -> None:
    consumer = make_consumer(
        as_user("rental"), TRADING_TRADES, group_id="rental.worker", enable_auto_commit=False
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await consumer.start()
    finally:
        await consumer.stop()


async def test_a_wrong_password_or_plaintext_is_refused(as_user, secure_topics) -> None:
    good = as_user("rental")
    wrong = KafkaClientConfig(
        bootstrap=good.bootstrap,
        security_protocol="SASL_SSL",
        ssl_cafile=good.ssl_cafile,
        ssl_certfile=good.ssl_certfile,
        ssl_keyfile=good.ssl_keyfile,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="rental",
        sasl_password=SecretStr("not-the-password"),
    )
    await broker_reachable(good)
    with pytest.raises((KafkaError, OSError)):
        await broker_reachable(wrong)
    with pytest.raises((KafkaError, OSError)):
        await broker_reachable(good.bootstrap)  # plaintext to a TLS port
