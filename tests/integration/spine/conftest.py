"""The spine tests' eventing tables (a schema of their own for each test module) and the
scratch topic and consumer group of a dead-letter test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from support.eventing_schema import delete_topics, scratch_eventing_schema
from support.helpers import KAFKA

from datapark_contracts.topics import Topic
from datapark_eventing.tables import EventingTables
from datapark_eventing.topics import ensure_topics
from datapark_kit.db import Database


@pytest.fixture(scope="module")
async def spine_schema(
    migrated_database: str, kafka_topics: str
) -> AsyncIterator[tuple[Database, EventingTables, str]]:
    async with scratch_eventing_schema(migrated_database, "spine") as scratch:
        yield scratch


@pytest.fixture
async def topic_with_dlq(kafka_topics: str) -> AsyncIterator[tuple[str, str]]:
    """A one-partition scratch topic and a consumer group whose dead-letter topic exists;
    both topics are deleted afterwards."""
    topic = f"test.spine.{uuid.uuid4().hex[:8]}"
    group = f"test-dlq-{uuid.uuid4().hex[:8]}"
    dlq = f"{group}.dlq"
    await ensure_topics(
        KAFKA, [Topic(topic, 1, "test", "id", "test"), Topic(dlq, 1, "test", "id", "test")]
    )
    try:
        yield topic, group
    finally:
        await delete_topics(topic, dlq)
