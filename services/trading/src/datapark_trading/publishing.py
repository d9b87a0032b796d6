"""Publishing a trading fact: the outbox row and the partners' webhook deliveries, in the
caller's transaction, so a state change, its event and its pushes commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.payloads import EventPayload
from datapark_trading.tables import OUTBOX
from datapark_trading.webhooks.repository import WebhookRepository


async def publish(
    session: AsyncSession,
    payload: EventPayload,
    *,
    parties: Iterable[uuid.UUID],
    occurred_at: datetime,
) -> Envelope:
    """Append ``payload`` to the outbox and queue it for every partner acting for a party."""
    envelope = await OUTBOX.append(session, payload, occurred_at=occurred_at)
    await WebhookRepository(session).enqueue(envelope, parties=set(parties), at=occurred_at)
    return envelope
