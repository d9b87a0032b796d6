"""Create the platform's topics from the registry, idempotently.

Run as ``python -m datapark_eventing.topics`` (the ``create-topics`` Job of clusters that are not
managed by Strimzi; on Strimzi the ``KafkaTopic`` resources do this). The connection comes from
``DATAPARK_KAFKA_*`` (see :meth:`KafkaClientConfig.from_env`), the replication factor from
``DATAPARK_KAFKA_REPLICATION_FACTOR``; outside development a factor of 1 is refused, because one
lost disk would then lose the audit record. Existing topics with fewer replicas than asked for
are reported (Kafka does not change a topic's replication by itself: that is a reassignment).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import NewTopic

from datapark_contracts.topics import Topic, all_topics
from datapark_eventing.kafka import Kafka, KafkaClientConfig, make_admin

log = logging.getLogger("datapark.topics")

SINGLE_REPLICA_ENVIRONMENTS = ("development", "test")


class ReplicationRefused(ValueError):
    """A replication factor too small for the environment."""


@dataclass(frozen=True)
class UnderReplicated:
    topic: str
    replicas: int
    wanted: int


def check_replication(replication_factor: int, environment: str) -> None:
    if replication_factor < 1:
        raise ReplicationRefused(f"replication factor must be at least 1, not {replication_factor}")
    if replication_factor == 1 and environment not in SINGLE_REPLICA_ENVIRONMENTS:
        raise ReplicationRefused(
            f"replication factor 1 is refused in environment '{environment}': the topics are "
            "the audit record; set DATAPARK_KAFKA_REPLICATION_FACTOR (3 in production)"
        )


async def ensure_topics(
    bootstrap: Kafka, topics: Iterable[Topic] | None = None, *, replication_factor: int = 1
) -> list[str]:
    """Create every missing topic; return the names created."""
    created, _ = await reconcile_topics(bootstrap, topics, replication_factor=replication_factor)
    return created


async def reconcile_topics(
    bootstrap: Kafka, topics: Iterable[Topic] | None = None, *, replication_factor: int = 1
) -> tuple[list[str], list[UnderReplicated]]:
    """Create the missing topics; report existing ones with fewer replicas than wanted."""
    wanted = list(topics if topics is not None else all_topics())
    admin = make_admin(bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        t.name,
                        num_partitions=t.partitions,
                        replication_factor=replication_factor,
                        topic_configs=t.config,
                    )
                    for t in missing
                ]
            )
        present = [t.name for t in wanted if t.name in existing]
        lower: list[UnderReplicated] = []
        if present:
            for described in await admin.describe_topics(present):
                replicas = min((len(p["replicas"]) for p in described["partitions"]), default=0)
                if replicas < replication_factor:
                    lower.append(UnderReplicated(described["topic"], replicas, replication_factor))
        return [t.name for t in missing], sorted(lower, key=lambda u: u.topic)
    finally:
        await admin.close()


def main() -> None:
    environment = os.environ.get("DATAPARK_ENVIRONMENT", "development")
    replicas = int(os.environ.get("DATAPARK_KAFKA_REPLICATION_FACTOR", "1"))
    try:
        check_replication(replicas, environment)
    except ReplicationRefused as refused:
        print(f"topics: {refused}", file=sys.stderr)
        raise SystemExit(2) from None
    kafka = KafkaClientConfig.from_env()
    created, lower = asyncio.run(reconcile_topics(kafka, replication_factor=replicas))
    print(f"topics: created {len(created)}: {', '.join(created) or '-'}")
    for topic in lower:
        print(
            f"topics: WARNING {topic.topic} has {topic.replicas} replica(s), wanted "
            f"{topic.wanted}: reassign its partitions (kafka-reassign-partitions)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
