"""An auditor's check over the log: every record on every topic since this test session began
is a CloudEvent the official SDK reads, and every aggregate's hash chain links up.

The window starts at the session's start because the local Kafka may also hold the events of
another datapark (a `make run` on the same machine, with its own database). Records that a test
forged on purpose (a copy of a fact under a new id, to prove a consumer's deduplication) carry
the header ``datapark-test-injected`` and are left out: an auditor would rightly flag them."""

from __future__ import annotations

from collections import defaultdict

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from support.helpers import INJECTED, KAFKA

from datapark_contracts.envelope import Envelope
from datapark_contracts.topics import TOPICS
from datapark_contracts.verify import verify_chain
from datapark_eventing.replay import replay

pytestmark = pytest.mark.integration


async def test_every_record_reads_and_every_chain_verifies(kafka_topics, session_started) -> None:
    chains: dict[tuple[str, str], list[Envelope]] = defaultdict(list)
    malformed: list[str] = []
    count = 0
    async for record in replay(KAFKA, [t.name for t in TOPICS], since=session_started):
        count += 1
        if any(header in INJECTED for header in record.headers):
            continue
        if record.envelope is None:
            malformed.append(f"{record.topic}/{record.partition}@{record.offset}: {record.error}")
            continue
        env = record.envelope
        event = from_binary_event(
            KafkaMessage(headers=dict(env.headers()), key=env.key, value=env.value())
        )
        assert event.get_id() == str(env.id)
        assert event.get_type() == env.type
        chains[(env.source, env.subject)].append(env)
    assert malformed == []
    broken = {
        key: problems
        for key, events in chains.items()
        if (problems := verify_chain(events, from_genesis=False))
    }
    assert broken == {}
    print(f"\n{count} records, {len(chains)} aggregates verified")
