"""The spine tests' eventing tables: a schema of their own for each test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from support.eventing_schema import scratch_eventing_schema

from datapark_eventing.tables import EventingTables
from datapark_kit.db import Database


@pytest.fixture(scope="module")
async def spine_schema(
    migrated_database: str, kafka_topics: str
) -> AsyncIterator[tuple[Database, EventingTables, str]]:
    async with scratch_eventing_schema(migrated_database, "spine") as scratch:
        yield scratch
