"""Run a service's background work without its API: ``python -m datapark_eventing.worker <svc>``.

The worker Deployment of a service runs this, from the same image as the API: the service's app
is built exactly as ``python -m datapark_<svc>`` builds it, with ``RUN_WORKERS`` forced on, so
its lifespan starts the outbox relay, the consumers and the service's sweepers and webhook
sender. Over HTTP the worker answers only ``/healthz``, ``/readyz`` and ``/metrics`` (probes and
scraping); every other path is 404, so a worker never serves API traffic. The API Deployment
runs ``python -m datapark_<svc>`` with ``RUN_WORKERS=false``.

On SIGTERM uvicorn stops accepting and the lifespan ends: the consumers finish the record in
hand and commit its offset, the relay finishes its batch and closes its lock connection (the
advisory lock is released at once), then the process exits.

The service package is found by convention (``datapark_<svc>.app.build_app`` and
``datapark_<svc>.settings.<Svc>Settings``), imported at run time: the library does not depend
on any service.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

WORKER_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class WorkerOnly:
    """The service app's lifespan and health endpoints; 404 for everything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in WORKER_PATHS:
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/problem+json")],
                }
            )
            await send(
                {
                    "type": "http.response.body",
                    "body": b'{"type":"about:blank","title":"Not Found","status":404,'
                    b'"detail":"a worker serves no API; use the api Service"}',
                }
            )
            return
        await self.app(scope, receive, send)


def load(service: str) -> tuple[Any, Any]:
    """The service's settings (``RUN_WORKERS`` on) and its app built from them."""
    settings_module = importlib.import_module(f"datapark_{service}.settings")
    settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
    settings = settings_class(run_workers=True)
    build_app = importlib.import_module(f"datapark_{service}.app").build_app
    return settings, build_app(settings)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m datapark_eventing.worker <service>", file=sys.stderr)
        return 2
    from datapark_kit import serve

    settings, app = load(argv[0])
    serve.run(WorkerOnly(app), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
