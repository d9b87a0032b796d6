"""trading: exchange partners trade data products — orders, negotiations, agreements with
usage policies, escrow settlement, delivery and metering, signed webhooks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI

from datapark_eventing.workers import kafka_readiness, service_workers
from datapark_kit.app import create_app
from datapark_kit.httpclient import make_client
from datapark_trading.contracting.endpoints import router as agreements
from datapark_trading.dsp.endpoints import members as dsp_members
from datapark_trading.dsp.endpoints import metadata as dsp_metadata
from datapark_trading.dsp.endpoints import router as dsp
from datapark_trading.dsp.notifier import DspNotifier
from datapark_trading.handlers import event_handlers
from datapark_trading.negotiations.endpoints import router as negotiations
from datapark_trading.orders.endpoints import router as orders
from datapark_trading.partners.endpoints import router as partners
from datapark_trading.settings import TradingSettings
from datapark_trading.settlement.endpoints import router as accounts
from datapark_trading.sweeper import Sweeper
from datapark_trading.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS
from datapark_trading.transfers.endpoints import lists as transfer_lists
from datapark_trading.transfers.endpoints import router as transfers
from datapark_trading.webhooks.endpoints import router as webhooks
from datapark_trading.webhooks.retry import Backoff
from datapark_trading.webhooks.sender import WebhookSender

ROUTERS: list[APIRouter] = [
    orders,
    negotiations,
    agreements,
    transfer_lists,
    transfers,
    accounts,
    webhooks,
    partners,
    dsp_metadata,
    dsp,
    dsp_members,
]


def trading_workers(
    settings: TradingSettings,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The outbox relay and consumer, plus the webhook sender and the sweeper."""
    spine = service_workers(settings, EVENTING, event_handlers())

    @asynccontextmanager
    async def workers(app: FastAPI) -> AsyncIterator[None]:
        async with (
            spine(app),
            make_client(timeout=settings.webhook_timeout_seconds, retries=0) as client,
        ):
            sender = WebhookSender(
                app.state.database,
                client,
                backoff=Backoff(
                    base=timedelta(seconds=settings.webhook_backoff_base_seconds),
                    cap=timedelta(seconds=settings.webhook_backoff_cap_seconds),
                    max_attempts=settings.webhook_max_attempts,
                ),
                poll_seconds=settings.webhook_poll_seconds,
                public_only=settings.environment not in ("development", "test"),
            )
            sweeper = Sweeper(app.state.database, interval_seconds=settings.sweep_interval_seconds)
            app.state.webhook_sender, app.state.sweeper = sender, sweeper
            notifier = DspNotifier(
                app.state.database,
                client,
                poll_seconds=settings.webhook_poll_seconds,
                public_only=settings.environment not in ("development", "test"),
            )
            app.state.dsp_notifier = notifier
            tasks = [
                asyncio.create_task(sender.run(), name="trading-webhooks"),
                asyncio.create_task(sweeper.run(), name="trading-sweeper"),
                asyncio.create_task(notifier.run(), name="trading-dsp-notifier"),
            ]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    return workers


def build_app(settings: TradingSettings | None = None) -> FastAPI:
    settings = settings or TradingSettings()
    return create_app(
        settings,
        title="datapark trading",
        description=__doc__ or "",
        routers=ROUTERS,
        idempotency_table=IDEMPOTENCY,
        participants=PARTICIPANTS,
        readiness=[kafka_readiness(settings)],
        workers=trading_workers(settings),
    )
