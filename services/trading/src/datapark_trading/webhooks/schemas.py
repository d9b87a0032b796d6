"""Request and response models of webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.webhooks.models import WebhookDeliveryRow


class SubscriptionCreate(RequestModel):
    url: str = Field(min_length=8, max_length=2000)


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    partner_id: uuid.UUID
    url: str
    active: bool
    created_at: datetime
    secret: str | None = Field(
        default=None, description="the signing secret; only in the answer to the subscription"
    )
    signature_header: str = "Datapark-Signature"


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    """A webhook delivery as stored, with its attempt log where asked for."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    log: list[AttemptOut] = []

    @classmethod
    def of(cls, row: WebhookDeliveryRow, log: list[AttemptOut] | None = None) -> DeliveryOut:
        columns = {name: getattr(row, name) for name in cls.model_fields if name != "log"}
        return cls.model_validate(columns | {"log": log or []})


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
