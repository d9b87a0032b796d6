"""A service's background workers (outbox relay, consumer) started in its app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from datapark_contracts.topics import consumer_group
from datapark_eventing.access import relay_transactional_id
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.consumer import EventConsumer, Handler
from datapark_eventing.kafka import KafkaClientConfig, broker_reachable
from datapark_eventing.relay import OutboxRelay
from datapark_eventing.retention import retention_sweeper
from datapark_eventing.tables import EventingTables
from datapark_kit.settings import ServiceSettings

CONSUMER_STOP_SECONDS = 20.0


def build_workers(
    settings: ServiceSettings,
    tables: EventingTables,
    handlers: Mapping[str, Handler] | None,
    app: FastAPI,
) -> tuple[OutboxRelay, EventConsumer | None]:
    relay = OutboxRelay(
        service=settings.service_name,
        schema=tables.schema,
        database_url=settings.database_url.get_secret_value(),
        bootstrap=KafkaClientConfig.from_settings(settings),
        poll_seconds=settings.relay_poll_seconds,
        batch_size=settings.relay_batch_size,
        checkpoints=Checkpointer.from_settings(settings),
        transactional_id=relay_transactional_id(
            settings.service_name, settings.consumer_group_prefix
        ),
    )
    consumer = None
    if handlers:
        group = consumer_group(settings.service_name)
        consumer = EventConsumer(
            group_id=settings.consumer_group_prefix + group.group_id,
            consumer_name=group.group_id,
            topics=group.topics,
            bootstrap=KafkaClientConfig.from_settings(settings),
            database=app.state.database,
            inbox=tables.inbox,
            handlers=handlers,
            dlq_topic=group.dlq,
        )
    return relay, consumer


def service_workers(
    settings: ServiceSettings,
    tables: EventingTables,
    handlers: Mapping[str, Handler] | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def workers(app: FastAPI) -> AsyncIterator[None]:
        relay, consumer = build_workers(settings, tables, handlers, app)
        app.state.relay, app.state.consumer = relay, consumer
        tasks = [asyncio.create_task(relay.run(), name=f"{settings.service_name}-relay")]
        if consumer is not None:
            tasks.append(
                asyncio.create_task(consumer.run(), name=f"{settings.service_name}-consumer")
            )
        try:
            # sent outbox rows and old idempotency keys pruned in bounded batches
            async with retention_sweeper(settings, tables.schema)(app):
                yield
        finally:
            if consumer is not None:
                # the record in hand is finished and committed; the wait is bounded
                consumer.stop()
                await asyncio.wait(tasks[1:], timeout=CONSUMER_STOP_SECONDS)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return workers


def kafka_readiness(settings: ServiceSettings) -> Callable[[FastAPI], Awaitable[None]]:
    async def kafka_ready(app: FastAPI) -> None:
        await broker_reachable(KafkaClientConfig.from_settings(settings))

    return kafka_ready
