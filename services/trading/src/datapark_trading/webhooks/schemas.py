"""Request and response models of webhooks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from datapark_kit.schemas import RequestModel
from datapark_trading.webhooks.models import WebhookAttemptRow, WebhookDeliveryRow

MILLISECOND = Decimal("0.001")

MeasuredSeconds = Annotated[
    Decimal,
    PlainSerializer(lambda d: f"{d:.3f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{3}$"}),
]
"""A measured duration: seconds as a decimal string to the millisecond (``"0.183"``)."""


class SubscriptionCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"url": "https://hooks.exchange.example.com/datapark"}]}
    )

    url: str = Field(min_length=8, max_length=2000)


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193b0c2-4d5e-7f60-8a1b-2c3d4e5f6a7b",
                    "partner_id": "5b7d9f1a-3c5e-4a7b-9c1d-3e5f7a9b1c2d",
                    "url": "https://hooks.exchange.example.com/datapark",
                    "active": True,
                    "created_at": "2026-11-30T08:00:00+00:00",
                    "secret": "whsec_3q2-7wZkR1mXb0tN6yP4vE9sLcH8aJdF5gUiOo2KrQ",
                    "signature_header": "Datapark-Signature",
                }
            ]
        },
    )

    id: uuid.UUID
    partner_id: uuid.UUID
    url: str
    active: bool
    created_at: datetime
    secret: str | None = Field(
        default=None, description="the signing secret; only in the answer to the subscription"
    )
    signature_header: str = "Datapark-Signature"


_ATTEMPT: dict[str, Any] = {
    "attempt": 1,
    "at": "2026-11-30T09:15:02+00:00",
    "status_code": 503,
    "error": "HTTP 503",
    "duration_seconds": "0.183",
}


class AttemptOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ATTEMPT]})

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_seconds: MeasuredSeconds = Field(
        description="how long the attempt took, in seconds to the millisecond"
    )

    @classmethod
    def of(cls, row: WebhookAttemptRow) -> Self:
        return cls(
            attempt=row.attempt,
            at=row.at,
            status_code=row.status_code,
            error=row.error,
            duration_seconds=(Decimal(row.duration_ms) * MILLISECOND).quantize(MILLISECOND),
        )


class DeliveryOut(BaseModel):
    """A webhook delivery as stored, with its attempt log where asked for."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0193b0c3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                    "event_id": "0193b0c3-0f1e-7d2c-9b3a-4f5e6d7c8b9a",
                    "event_type": "datapark.trading.agreement.concluded.v1",
                    "status": "delivered",
                    "attempts": 2,
                    "next_attempt_at": None,
                    "last_error": None,
                    "delivered_at": "2026-11-30T09:15:34+00:00",
                    "log": [
                        _ATTEMPT,
                        {
                            "attempt": 2,
                            "at": "2026-11-30T09:15:34+00:00",
                            "status_code": 200,
                            "error": None,
                            "duration_seconds": "0.094",
                        },
                    ],
                }
            ]
        },
    )

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
    def of(cls, row: WebhookDeliveryRow, log: Sequence[WebhookAttemptRow] = ()) -> Self:
        columns = {name: getattr(row, name) for name in cls.model_fields if name != "log"}
        return cls.model_validate(columns | {"log": [AttemptOut.of(a) for a in log]})


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = None
