"""Use cases of partner webhooks: publish a fact to the partners, subscribe, read the delivery
log, redeliver."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_kit.errors import NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_trading.partners.actor import Actor
from datapark_trading.tables import OUTBOX
from datapark_trading.webhooks import retry
from datapark_trading.webhooks.destinations import require_public_destination
from datapark_trading.webhooks.models import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
)
from datapark_trading.webhooks.repository import WebhookRepository


async def publish(
    session: AsyncSession,
    payload: EventPayload,
    *,
    parties: Iterable[uuid.UUID],
    occurred_at: datetime,
) -> Envelope:
    """Publish a trading fact: append ``payload`` to the outbox and queue its webhook delivery
    to every partner acting for one of ``parties``, in the caller's transaction, so a state
    change, its event and its pushes commit together or not at all."""
    envelope = await OUTBOX.append(session, payload, occurred_at=occurred_at)
    await WebhookRepository(session).enqueue(envelope, parties=set(parties), at=occurred_at)
    return envelope


class WebhookService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = WebhookRepository(session)

    async def subscribe(
        self, actor: Actor, url: str, *, allow_http: bool
    ) -> WebhookSubscriptionRow:
        """A partner subscribes a URL to every change of its members' trades."""
        if not (url.startswith("https://") or (allow_http and url.startswith("http://"))):
            raise Unprocessable("a webhook URL is an https URL", field="url")
        if not allow_http:
            # Outside development the destination must be public (checked again on each send).
            await require_public_destination(url)
        row = WebhookSubscriptionRow(
            id=uuid7(),
            partner_id=actor.principal.participant_id,
            url=url,
            secret="whsec_" + secrets.token_urlsafe(32),
            active=True,
            created_at=datetime.now(UTC),
        )
        await self.repo.add_subscription(row)
        return row

    async def _own(self, actor: Actor, subscription_id: uuid.UUID) -> WebhookSubscriptionRow:
        row = await self.repo.subscription(subscription_id)
        if row is None or not actor.principal.may_access(row.partner_id):
            raise NotFound("webhook subscription not found")
        return row

    async def deliveries(
        self, actor: Actor, subscription_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[tuple[WebhookDeliveryRow, Sequence[WebhookAttemptRow]]], str | None]:
        """The delivery log, newest first, each delivery with its attempts."""
        before = cursor_id(cursor)
        await self._own(actor, subscription_id)
        rows = await self.repo.deliveries(subscription_id, before=before, limit=limit + 1)
        items, next_cursor = keyset_page(rows, limit, lambda row: row.id)
        attempts = await self.repo.attempts_of([d.id for d in items])
        return [(d, attempts[d.id]) for d in items], next_cursor

    async def redeliver(self, actor: Actor, delivery_id: uuid.UUID) -> WebhookDeliveryRow:
        """Queue a delivery again now (after an outage that outlasted the retries, or on
        request); its earlier attempts stay in the log."""
        row = await self.repo.delivery(delivery_id, for_update=True)
        if row is None:
            raise NotFound("webhook delivery not found")
        await self._own(actor, row.subscription_id)
        now = datetime.now(UTC)
        state = retry.redeliver(_delivery(row), at=now)
        row.status, row.next_attempt_at = state.status.value, state.next_attempt_at
        await self.session.flush()
        return row


def _delivery(row: WebhookDeliveryRow) -> retry.Delivery:
    return retry.Delivery(
        status=retry.DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )
