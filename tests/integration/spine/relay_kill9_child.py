"""A relay in a process of its own that stops between Kafka's commit and the outbox mark, for
``test_spine_exactly_once``: it commits its first batch to Kafka, prints ``COMMITTED <n>`` and
waits there (the parent kills it with ``kill -9``).

    python relay_kill9_child.py <database_url> <schema> <bootstrap> <batch_size>
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import asyncpg

from datapark_eventing.relay import OutboxRelay


class _StopsBeforeTheMark(OutboxRelay):
    async def _mark_sent(self, conn: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
        print(f"COMMITTED {len(ids)}", flush=True)
        await asyncio.Event().wait()  # until kill -9


async def main(database_url: str, schema: str, bootstrap: str, batch_size: int) -> None:
    relay = _StopsBeforeTheMark(
        service="spinetest",
        schema=schema,
        database_url=database_url,
        bootstrap=bootstrap,
        batch_size=batch_size,
        poll_seconds=0.2,
    )
    await relay.run()


if __name__ == "__main__":
    url, schema, bootstrap, batch = sys.argv[1:5]
    asyncio.run(main(url, schema, bootstrap, int(batch)))
