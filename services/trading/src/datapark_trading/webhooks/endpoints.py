"""HTTP endpoints of partner webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from datapark_kit.auth import require_roles
from datapark_kit.idempotency import shown_once
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import WEBHOOKS
from datapark_trading.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    SubscriptionCreate,
    SubscriptionOut,
)
from datapark_trading.webhooks.service import WebhookService

router = APIRouter(
    prefix="/v1", tags=["webhooks"], route_class=UnitOfWorkRoute, responses=problems(*WEBHOOKS)
)


@router.post(
    "/webhook-subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionOut,
    dependencies=[require_roles("partner")],
)
async def subscribe(
    body: SubscriptionCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
) -> SubscriptionOut:
    """A partner subscribes a URL to every change of its members' trades. Each delivery is a
    CloudEvent (JSON) signed with HMAC-SHA256 over `"<t>." + body` in `Datapark-Signature:
    t=<unix>,v1=<hex>`; failures are retried with exponential backoff and kept."""
    allow_http = request.app.state.settings.environment in ("development", "test")
    row = await WebhookService(session).subscribe(actor, body.url, allow_http=allow_http)
    shown_once(response)
    return SubscriptionOut.model_validate(row)


@router.get(
    "/webhook-subscriptions/{subscription_id}/deliveries",
    response_model=DeliveryPage,
    dependencies=[require_roles("partner", "operator", "auditor")],
)
async def deliveries(
    subscription_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    """The delivery log: every delivery, newest first, with each attempt's outcome; follow
    `next_cursor` for older ones."""
    found, next_cursor = await WebhookService(session).deliveries(
        actor, subscription_id, cursor, limit
    )
    return DeliveryPage(
        items=[DeliveryOut.of(d, attempts) for d, attempts in found], next_cursor=next_cursor
    )


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    dependencies=[require_roles("partner", "operator")],
)
async def redeliver(
    delivery_id: uuid.UUID, session: SessionDep, actor: CurrentActor
) -> DeliveryOut:
    """Send a delivery again now (its earlier attempts stay in the log)."""
    return DeliveryOut.of(await WebhookService(session).redeliver(actor, delivery_id))
