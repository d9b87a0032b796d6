"""Create the platform's topics from the registry, idempotently.

Run as ``python -m datapark_eventing.topics``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from datapark_contracts.topics import Topic, all_topics

log = logging.getLogger("datapark.topics")


async def ensure_topics(
    bootstrap: str, topics: Iterable[Topic] | None = None, *, replication_factor: int = 1
) -> list[str]:
    """Create every missing topic; return the names created."""
    wanted = list(topics if topics is not None else all_topics())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
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
        return [t.name for t in missing]
    finally:
        await admin.close()


def main() -> None:
    port = os.environ.get("DATAPARK_KAFKA_PORT", "9092")
    bootstrap = os.environ.get("DATAPARK_KAFKA_BOOTSTRAP", f"127.0.0.1:{port}")
    replicas = int(os.environ.get("DATAPARK_KAFKA_REPLICATION_FACTOR", "1"))
    created = asyncio.run(ensure_topics(bootstrap, replication_factor=replicas))
    print(f"topics: created {len(created)}: {', '.join(created) or '-'}")


if __name__ == "__main__":
    main()
