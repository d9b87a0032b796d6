"""A worker process for the ops tests, run as a script (not collected by pytest):

    python tests/integration/ops/ops_worker.py <schema> <group prefix> <port>

It is the real worker path of a service: ``service_workers`` (outbox relay + consumer of
rental's group, under ``<group prefix>``) in the lifespan of an app served by uvicorn through
``datapark_eventing.worker.WorkerOnly`` (so /metrics shows ``datapark_relay_leader``). The
eventing tables live in ``<schema>``, whose name is also the events' source: the handler records
each ParticipantRegistered of that source it applies in ``<schema>.applied``, in the same
transaction as the inbox row (events of other sources on the shared topic are left alone).
SIGTERM ends it as Kubernetes would: when the lifespan has shut down (workers stopped) it prints
its counts as JSON; uvicorn then re-raises the signal, so the exit status is -SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, text

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.tables import eventing_tables
from datapark_eventing.worker import WorkerOnly
from datapark_eventing.workers import service_workers
from datapark_kit import serve
from datapark_kit.db import Database
from datapark_rental.settings import RentalSettings

HANDLE_SECONDS = 0.01  # a record takes a little while, so SIGTERM finds one in hand


def main(schema: str, prefix: str, port: int) -> None:
    settings = RentalSettings(
        database_url=os.environ["OPS_DATABASE_URL"],
        kafka_bootstrap=os.environ["OPS_KAFKA"],
        environment="test",
        consumer_group_prefix=prefix,
        port=port,
        relay_poll_seconds=float(os.environ.get("OPS_RELAY_POLL_SECONDS", "1.0")),
        log_json=False,
    )
    tables = eventing_tables(MetaData(schema=schema))
    counts = {"applied": 0}

    async def applied(session: Any, envelope: Any, payload: Any) -> None:
        if envelope.source != f"/datapark/{schema}":
            return
        await asyncio.sleep(HANDLE_SECONDS)
        await session.execute(
            text(f'INSERT INTO "{schema}".applied (event_id, pid) VALUES (:id, :pid)'),
            {"id": envelope.id, "pid": os.getpid()},
        )
        counts["applied"] += 1

    workers = service_workers(settings, tables, {ParticipantRegistered.event_type: applied})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url.get_secret_value(), pool_size=3)
        try:
            async with workers(app):
                yield
        finally:
            await app.state.database.dispose()
            # records the inbox recognised (re-sent by a relay, or redelivered uncommitted)
            group = prefix + "rental.worker"
            skipped = REGISTRY.get_sample_value(
                "datapark_consumer_messages_total", {"group": group, "outcome": "duplicate"}
            )
            counts["duplicates"] = int(skipped or 0)
            print(json.dumps(counts), flush=True)  # after the workers stopped

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics() -> Any:
        from fastapi.responses import PlainTextResponse
        from prometheus_client import generate_latest

        return PlainTextResponse(generate_latest().decode())

    serve.run(WorkerOnly(app), settings)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
