"""All SQL about webhook subscriptions, deliveries and attempts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.ids import uuid7
from datapark_kit.db import bound_insert, constant_statement, table_of
from datapark_trading.partners.models import PartnerMember
from datapark_trading.webhooks.models import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
)

DUE = ("pending", "retrying")
_DELIVERIES = table_of(WebhookDeliveryRow)
# A delivery of an event to a subscription, once: one single-row constant statement, compiled
# once per process and executed for an event's subscriptions in one asyncpg executemany (the
# multi-row VALUES it replaces was a postgresql.insert, compiled again for every event; #14).
_ENQUEUE = constant_statement(
    bound_insert(
        _DELIVERIES,
        (
            "id",
            "subscription_id",
            "event_id",
            "event_type",
            "body",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ),
    ).on_conflict_do_nothing()
)


def webhook_body(envelope: Envelope) -> str:
    """The delivery body: the event as a structured CloudEvent (JSON)."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(envelope.id),
            "source": envelope.source,
            "type": envelope.type,
            "subject": envelope.subject,
            "time": envelope.time.isoformat(),
            "datacontenttype": "application/json",
            "aggseq": envelope.aggseq,
            "data": envelope.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def last_attempt(self, delivery_id: uuid.UUID) -> int:
        """The highest attempt number logged for a delivery (0 before the first)."""
        query = select(func.coalesce(func.max(WebhookAttemptRow.attempt), 0)).where(
            WebhookAttemptRow.delivery_id == delivery_id
        )
        return int((await self.session.execute(query)).scalar_one())

    async def add_subscription(self, row: WebhookSubscriptionRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def subscription(self, subscription_id: uuid.UUID) -> WebhookSubscriptionRow | None:
        return await self.session.get(WebhookSubscriptionRow, subscription_id)

    async def enqueue(self, envelope: Envelope, *, parties: set[uuid.UUID], at: datetime) -> int:
        """A pending delivery of ``envelope`` for every active subscription of a partner that
        acts for one of ``parties``; returns how many."""
        if not parties:
            return 0
        partners = select(PartnerMember.partner_id).where(PartnerMember.member_id.in_(parties))
        subscriptions = (
            await self.session.execute(
                select(WebhookSubscriptionRow.id).where(
                    WebhookSubscriptionRow.active.is_(True),
                    WebhookSubscriptionRow.partner_id.in_(partners),
                )
            )
        ).scalars()
        body = webhook_body(envelope)
        rows = [
            {
                "id": uuid7(),
                "subscription_id": sid,
                "event_id": envelope.id,
                "event_type": envelope.type,
                "body": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for sid in subscriptions
        ]
        if rows:
            await self.session.execute(_ENQUEUE, rows)
        return len(rows)

    async def claim_due(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[tuple[WebhookDeliveryRow, WebhookSubscriptionRow]]:
        """Take up to ``limit`` due deliveries, pushing their next attempt out by ``lease`` so
        another sender skips them while this one sends (a crashed sender's lease just lapses)."""
        query = (
            select(WebhookDeliveryRow, WebhookSubscriptionRow)
            .join(
                WebhookSubscriptionRow,
                WebhookSubscriptionRow.id == WebhookDeliveryRow.subscription_id,
            )
            .where(WebhookDeliveryRow.status.in_(DUE), WebhookDeliveryRow.next_attempt_at <= now)
            .order_by(WebhookDeliveryRow.next_attempt_at)
            .limit(limit)
            .with_for_update(of=WebhookDeliveryRow, skip_locked=True)
        )
        claimed = [(d, s) for d, s in (await self.session.execute(query)).all()]
        for delivery, _ in claimed:
            delivery.next_attempt_at = now + lease
        await self.session.flush()
        return claimed

    async def delivery(
        self, delivery_id: uuid.UUID, *, for_update: bool = False
    ) -> WebhookDeliveryRow | None:
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_attempt(self, attempt: WebhookAttemptRow) -> None:
        self.session.add(attempt)
        await self.session.flush()

    async def deliveries(
        self, subscription_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
    ) -> Sequence[WebhookDeliveryRow]:
        """A subscription's deliveries newest first (uuid7 ids are time ordered), those older
        than ``before`` when given."""
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.subscription_id == subscription_id)
            .order_by(WebhookDeliveryRow.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(WebhookDeliveryRow.id < before)
        return (await self.session.execute(query)).scalars().all()

    async def attempts_of(
        self, delivery_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[WebhookAttemptRow]]:
        """Every attempt of each delivery, in order."""
        found: dict[uuid.UUID, list[WebhookAttemptRow]] = {did: [] for did in delivery_ids}
        if not delivery_ids:
            return found
        query = (
            select(WebhookAttemptRow)
            .where(WebhookAttemptRow.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttemptRow.delivery_id, WebhookAttemptRow.attempt)
        )
        for attempt in (await self.session.execute(query)).scalars():
            found[attempt.delivery_id].append(attempt)
        return found
