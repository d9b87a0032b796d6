"""The topic tool reports existing topics with fewer replicas than asked (the local broker
has one node, so every topic has one replica)."""

from __future__ import annotations

import pytest

from datapark_contracts.topics import all_topics
from datapark_eventing.topics import reconcile_topics

pytestmark = pytest.mark.integration


async def test_existing_topics_with_fewer_replicas_are_reported(kafka_topics: str) -> None:
    created, lower = await reconcile_topics(kafka_topics, replication_factor=3)
    assert created == []
    assert {u.topic for u in lower} == {t.name for t in all_topics()}
    assert {(u.replicas, u.wanted) for u in lower} == {(1, 3)}
