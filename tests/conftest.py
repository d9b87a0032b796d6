"""Fixtures shared by every test: the test database, service apps and tokens.

Integration tests run against the real Postgres (database ``datapark_test``) and Kafka that
``make test`` starts; each service app runs in-process with its relay and consumer, exactly as
in production, through httpx's ASGI transport.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from support.helpers import KAFKA

from datapark_kit.auth import TokenSigner
from datapark_kit.db import Database
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM

ROOT = Path(__file__).resolve().parents[1]
PG_PORT = os.environ.get("DATAPARK_PG_PORT", "54329")
TEST_DATABASE_URL = os.environ.get(
    "DATAPARK_TEST_DATABASE_URL",
    f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{PG_PORT}/datapark_test",
)
SERVICES = ("catalog", "trading", "rental", "subsidy")
# Each session's consumers join groups of their own (so neither a running `make run` nor
# another test session takes their records), positioned at the end of the log when the
# session starts: a session handles the events it produces, not the machine's whole history.
GROUP_PREFIX = f"test-{uuid.uuid4().hex[:8]}."


def service_settings(service: str, **overrides: Any) -> Any:
    """The settings object of ``service`` pointed at the test database and local Kafka."""
    module = __import__(f"datapark_{service}.settings", fromlist=["x"])
    cls = getattr(module, f"{service.capitalize()}Settings")
    values: dict[str, Any] = {
        "database_url": TEST_DATABASE_URL,
        "kafka_bootstrap": KAFKA,
        "log_json": False,
        "environment": "test",
        "consumer_group_prefix": GROUP_PREFIX,
        "relay_poll_seconds": 0.5,
    }
    values.update(overrides)
    return cls(**values)


def build_service_app(service: str, **overrides: Any) -> Any:
    module = __import__(f"datapark_{service}.app", fromlist=["build_app"])
    return module.build_app(service_settings(service, **overrides))


@pytest.fixture(scope="session")
def migrated_database() -> str:
    """Bring every service's schema in the test database to its latest migration
    (``make test`` has done it already and says so with DATAPARK_TEST_MIGRATED=1)."""
    if os.environ.get("DATAPARK_TEST_MIGRATED") == "1":
        return TEST_DATABASE_URL
    env = {**os.environ, "DATAPARK_MIGRATIONS_DATABASE_URL": TEST_DATABASE_URL}
    for service in SERVICES:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                f"services/{service}/alembic.ini",
                "upgrade",
                "head",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    return TEST_DATABASE_URL


@pytest.fixture
async def database(migrated_database: str) -> AsyncIterator[Database]:
    """The kit's database on the migrated test database, one pooled connection."""
    database = Database(migrated_database, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()


SESSION_STARTED = datetime.now(UTC)


@pytest.fixture(scope="session")
def session_started() -> datetime:
    """When this test session began (replays of "our" part of the log start here)."""
    return SESSION_STARTED


@pytest.fixture(scope="session")
async def kafka_topics() -> str:
    """Every topic of the registry exists (creating what is missing, as `make test` does)."""
    from datapark_eventing.topics import ensure_topics

    await ensure_topics(KAFKA)
    await start_groups_at_end(GROUP_PREFIX)
    return KAFKA


async def start_groups_at_end(prefix: str) -> None:
    """Commit, for every service's consumer group under ``prefix``, the current end offsets."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from datapark_contracts.topics import CONSUMER_GROUPS

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        described = await admin.describe_topics(
            sorted({t for g in CONSUMER_GROUPS for t in g.topics})
        )
    finally:
        await admin.close()
    partitions = {d["topic"]: [p["partition"] for p in d["partitions"]] for d in described}
    for group in CONSUMER_GROUPS:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=KAFKA, group_id=prefix + group.group_id, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tps = [TopicPartition(t, p) for t in group.topics for p in partitions[t]]
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            await consumer.commit(dict(ends))
        finally:
            await consumer.stop()


@pytest.fixture(scope="session")
def signer() -> TokenSigner:
    return TokenSigner(
        DEV_JWT_PRIVATE_KEY_PEM,
        key_id="datapark-dev-1",
        issuer="datapark-catalog",
        audience="datapark",
        ttl_seconds=600,
    )


@pytest.fixture(scope="session")
def token(signer: TokenSigner) -> Callable[..., dict[str, str]]:
    """``token("operator", participant_id=...)`` -> Authorization header for those roles."""

    def make(
        *roles: str, participant_id: uuid.UUID | None = None, client_id: str | None = None
    ) -> dict[str, str]:
        pid = participant_id or uuid.uuid4()
        jwt = signer.issue(
            client_id=client_id or f"test-{pid}", participant_id=pid, roles=list(roles)
        )
        return {"Authorization": f"Bearer {jwt}"}

    return make


async def _client(service: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_service_app(service)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{service}.test"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.fixture(scope="session")
async def catalog(migrated_database: str, kafka_topics: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client("catalog"):
        yield client


@pytest.fixture(scope="session")
async def trading(migrated_database: str, kafka_topics: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client("trading"):
        yield client


@pytest.fixture(scope="session")
async def rental(migrated_database: str, kafka_topics: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client("rental"):
        yield client


@pytest.fixture(scope="session")
async def subsidy(migrated_database: str, kafka_topics: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client("subsidy"):
        yield client
