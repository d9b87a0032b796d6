"""The webhook sender: a background loop that pushes due deliveries to partners.

Each round claims due deliveries (``FOR UPDATE SKIP LOCKED``, leased so a second sender skips
them), posts each body signed (``Datapark-Signature: t=…,v1=…``) with httpx outside any
transaction, then records the attempt and the outcome: delivered on a 2xx, otherwise retried
later by the backoff schedule and kept as ``exhausted`` after the last attempt (redeliverable).
Attempt numbers never reset in the log, so a redelivery's attempts follow the earlier ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from datapark_kit.db import Database
from datapark_kit.errors import Unprocessable
from datapark_trading.webhooks import retry, signing
from datapark_trading.webhooks.destinations import require_public_destination
from datapark_trading.webhooks.models import WebhookAttemptRow
from datapark_trading.webhooks.repository import WebhookRepository

log = logging.getLogger("datapark.trading.webhooks")
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Outgoing:
    delivery_id: uuid.UUID
    url: str
    secret: str
    event_id: uuid.UUID
    event_type: str
    body: str


class WebhookSender:
    def __init__(
        self,
        database: Database,
        client: httpx.AsyncClient,
        *,
        backoff: retry.Backoff,
        poll_seconds: float,
        batch_size: int = 50,
        public_only: bool = True,
    ) -> None:
        self.public_only = public_only
        self.database = database
        self.client = client
        self.backoff = backoff
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size

    async def run(self) -> None:
        while True:
            try:
                sent = await self.send_due()
            except Exception:  # the loop must survive a database hiccup
                log.exception("webhook round failed")
                sent = 0
            if sent == 0:
                await asyncio.sleep(self.poll_seconds)

    async def send_due(self) -> int:
        now = datetime.now(UTC)
        async with self.database.unit_of_work() as session:
            claimed = await WebhookRepository(session).claim_due(
                now, limit=self.batch_size, lease=LEASE
            )
            batch = [
                Outgoing(d.id, s.url, s.secret, d.event_id, d.event_type, d.body)
                for d, s in claimed
            ]
        await asyncio.gather(*(self._send(item) for item in batch))
        return len(batch)

    async def _send(self, item: Outgoing) -> None:
        body = item.body.encode()
        started = time.monotonic()
        sent_at = datetime.now(UTC)
        status_code: int | None = None
        error: str | None = None
        try:
            if self.public_only:
                # DNS may have changed since the subscription was checked.
                await require_public_destination(item.url)
            response = await self.client.post(
                item.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    signing.HEADER: signing.sign(item.secret, body, at=sent_at),
                    "Datapark-Event-Id": str(item.event_id),
                    "Datapark-Event-Type": item.event_type,
                    "Datapark-Delivery-Id": str(item.delivery_id),
                },
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        except Unprocessable as refused:
            error = f"refused: {refused.detail}"[:500]
        await self._record(item, sent_at, status_code, error, time.monotonic() - started)

    async def _record(
        self,
        item: Outgoing,
        at: datetime,
        status_code: int | None,
        error: str | None,
        seconds: float,
    ) -> None:
        async with self.database.unit_of_work() as session:
            repo = WebhookRepository(session)
            row = await repo.delivery(item.delivery_id, for_update=True)
            if row is None:
                return
            previous = await repo.last_attempt(row.id)
            await repo.add_attempt(
                WebhookAttemptRow(
                    delivery_id=row.id,
                    attempt=previous + 1,
                    at=at,
                    status_code=status_code,
                    error=error,
                    duration_ms=int(seconds * 1000),
                )
            )
            state = retry.Delivery(
                status=retry.DeliveryStatus(row.status),
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
            )
            if error is None:
                state = retry.succeeded(state, at=at)
            else:
                state = retry.failed(state, at=at, error=error, backoff=self.backoff)
            row.status = state.status.value
            row.attempts = state.attempts
            row.next_attempt_at = state.next_attempt_at
            row.last_error = state.last_error
            row.delivered_at = state.delivered_at
