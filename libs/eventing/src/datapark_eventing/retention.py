"""Retention of the platform tables each service keeps in its schema: the worker's sweeper.

- ``outbox``: rows already sent to Kafka are deleted ``retention_outbox_hours`` after they were
  sent (default 7 days: time to look at what was published, or to re-publish by hand). Kafka
  keeps the events for ever; unsent rows are never touched.
- ``idempotency_keys``: a stored response is kept ``retention_idempotency_hours`` (default 24,
  as Stripe); after that a retry with the same key is a new request.
- ``inbox``: NOT pruned. A record can be delivered again long after it was handled (the relay
  re-sends after a crash between send and mark; an operator resets a group's offsets or
  replays a topic), and only the inbox row makes that delivery a no-op. Its rows are small
  (~100 bytes: consumer, event id, position); see docs/operations.md.
- ``event_chain_heads``: one row per aggregate, needed to append to its chain: kept.

Each pass deletes in batches of ``retention_batch_size`` rows, at most ``retention_max_batches``
per table, every batch its own short transaction with ``FOR UPDATE SKIP LOCKED``: replicas can
sweep side by side, and a large backlog is worked off over several passes without long locks.
``datapark_retention_pruned_total`` counts deletions, ``datapark_retention_backlog`` reports what
is still past retention (counted up to 100,000) after a pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from datapark_eventing.metrics import PRUNE_BACKLOG, PRUNED
from datapark_kit.background import periodic
from datapark_kit.db import Database

log = logging.getLogger("datapark.retention")

BACKLOG_CAP = 100_000


@dataclass(frozen=True)
class RetentionPolicy:
    outbox_after: timedelta = timedelta(days=7)
    idempotency_after: timedelta = timedelta(hours=24)
    batch_size: int = 1000
    max_batches: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionPolicy:
        return cls(
            outbox_after=timedelta(hours=getattr(settings, "retention_outbox_hours", 168.0)),
            idempotency_after=timedelta(
                hours=getattr(settings, "retention_idempotency_hours", 24.0)
            ),
            batch_size=getattr(settings, "retention_batch_size", 1000),
            max_batches=getattr(settings, "retention_max_batches", 20),
        )


@dataclass(frozen=True)
class _Target:
    table: str
    # rows past retention, oldest first, as a query of ctids (bounded by :limit)
    candidates: str


def _targets(schema: str) -> tuple[_Target, ...]:
    return (
        _Target(
            "outbox",
            f'SELECT ctid FROM "{schema}".outbox '  # noqa: S608 - our schema, not user input
            "WHERE sent_at IS NOT NULL AND sent_at < :cutoff "
            "ORDER BY position LIMIT :limit FOR UPDATE SKIP LOCKED",
        ),
        _Target(
            "idempotency_keys",
            f'SELECT ctid FROM "{schema}".idempotency_keys '  # noqa: S608
            "WHERE created_at < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED",
        ),
    )


class RetentionSweeper:
    """Prunes one service schema's platform tables by the policy."""

    def __init__(self, database: Database, *, service: str, schema: str, policy: RetentionPolicy):
        self.database = database
        self.service = service
        self.schema = schema
        self.policy = policy

    def _cutoff(self, table: str, now: datetime) -> datetime:
        after = self.policy.outbox_after if table == "outbox" else self.policy.idempotency_after
        return now - after

    async def sweep_once(self, now: datetime | None = None) -> dict[str, int]:
        """One pass over every table; returns the rows deleted per table."""
        moment = now or datetime.now(UTC)
        deleted: dict[str, int] = {}
        for target in _targets(self.schema):
            if not await self._exists(target.table):
                continue
            cutoff = self._cutoff(target.table, moment)
            total = 0
            for _ in range(self.policy.max_batches):
                async with self.database.unit_of_work() as session:
                    result = await session.execute(
                        text(
                            f'DELETE FROM "{self.schema}".{target.table} '  # noqa: S608
                            f"WHERE ctid = ANY(ARRAY({target.candidates}))"
                        ),
                        {"cutoff": cutoff, "limit": self.policy.batch_size},
                    )
                    batch = int(getattr(result, "rowcount", 0) or 0)
                total += batch
                if batch < self.policy.batch_size:
                    break
            if total:
                PRUNED.labels(self.service, target.table).inc(total)
            PRUNE_BACKLOG.labels(self.service, target.table).set(
                await self._backlog(target, cutoff)
            )
            deleted[target.table] = total
        return deleted

    async def _exists(self, table: str) -> bool:
        async with self.database.unit_of_work() as session:
            found = await session.scalar(
                text("SELECT to_regclass(:name) IS NOT NULL"),
                {"name": f'"{self.schema}".{table}'},
            )
        return bool(found)

    async def _backlog(self, target: _Target, cutoff: datetime) -> int:
        count = target.candidates.replace("SELECT ctid", "SELECT 1").replace(
            " FOR UPDATE SKIP LOCKED", ""
        )
        async with self.database.unit_of_work() as session:
            value = await session.scalar(
                text(f"SELECT count(*) FROM ({count}) AS past"),  # noqa: S608
                {"cutoff": cutoff, "limit": BACKLOG_CAP},
            )
        return int(value or 0)


def retention_sweeper(
    settings: Any, schema: str
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The sweeper as a periodic job of a service's workers (``app.state.database``)."""
    policy = RetentionPolicy.from_settings(settings)
    every = float(getattr(settings, "retention_interval_seconds", 300.0))

    async def sweep(app: FastAPI) -> None:
        sweeper = RetentionSweeper(
            app.state.database, service=settings.service_name, schema=schema, policy=policy
        )
        deleted = await sweeper.sweep_once()
        if any(deleted.values()):
            log.info("retention %s: deleted %s", settings.service_name, deleted)

    return periodic(f"{settings.service_name}-retention", every, sweep)
