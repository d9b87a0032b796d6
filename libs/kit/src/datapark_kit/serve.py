"""Running a service app under uvicorn with the limits a public endpoint needs.

- Forwarded headers (``X-Forwarded-For``/``-Proto``) are believed only from the proxies named
  in ``forwarded_allow_ips``; by default from nobody (uvicorn alone would believe 127.0.0.1,
  so anything on the same host could pick its client address).
- A connection must deliver a complete request head within ``header_read_timeout_seconds``
  of opening (or of its previous response), else it is closed: a client trickling one header
  byte at a time no longer holds a connection for ever. Heads larger than
  ``max_header_bytes`` are refused by the parser (400).
- Idle keep-alive connections close after ``keep_alive_timeout_seconds``; beyond
  ``max_connections`` concurrent connections and requests, new ones get a 503.
- Request bodies are bounded in size and time by ``datapark_kit.guards.BodyLimitMiddleware``.

Several worker processes (``web_workers``): uvicorn's supervisor starts that many processes
sharing one listening socket (the kernel hands each new connection to one of them) and replaces
any that dies. Each process imports the service's app factory (``"datapark_<svc>.app:build_app"``,
called with no arguments: the settings are read again from the same environment) and runs the
app's lifespan: its own database pool, and, where ``RUN_WORKERS`` is on, its own relay and
consumer. That stays correct with N processes: the relay's advisory lock keeps exactly one of
them active and the others standing by, the consumers are members of one group (a partition is
read by one of them at a time, inbox deduplication covers a rebalance), and the sweepers take
their rows with ``SKIP LOCKED``. It is N of each, though (N lock connections, N group members
that rebalance whenever an API process restarts): in production the API runs with
``RUN_WORKERS=false`` and its background work in the worker Deployment
(``datapark_eventing.worker``, one process). Metrics of all processes are added up by
``datapark_kit.metrics`` (multi-process mode). ``max_connections`` and the database pool apply
to each process.
"""

from __future__ import annotations

import asyncio
import copyreg
import functools
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from datapark_kit.logs import configure_logging
from datapark_kit.metrics import multiprocess_values
from datapark_kit.settings import ServiceSettings

log = logging.getLogger("datapark.serve")

WORKER_HEALTHCHECK_SECONDS = 60
"""How long uvicorn's supervisor waits for a worker process to answer its ping before killing
and replacing it. Its default, 5 s, is shorter than a worker's start on a busy or CPU-limited
node (a spawned process imports the service before it can answer): measured on the shared
2-core machine at load average 9-12, workers were killed and replaced over and over while
starting, and the second of two never came up."""


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head does not arrive in
    time (uvicorn itself only times out idle connections between requests)."""

    header_read_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        if not self.transport.is_closing():
            self._head_timer: asyncio.TimerHandle | None = self.loop.call_later(
                self.header_read_timeout, self._head_timed_out
            )

    def _disarm_head_timer(self) -> None:
        timer: asyncio.TimerHandle | None = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        waiting_for_head = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and not self.transport.is_closing():
            self.transport.close()


class _TimedProtocolType(type):
    """The type of the per-timeout protocol classes, so that they pickle by their timeout:
    uvicorn pickles its config (the protocol class included) into every worker process it
    spawns, and a class made at run time cannot be found there by name."""


@functools.cache
def head_timeout_protocol(header_read_timeout: float) -> type[HeadTimeoutH11Protocol]:
    """The protocol class closing connections whose head takes longer than the timeout (one
    class per timeout, also when rebuilt from a pickle in a worker process)."""
    made = _TimedProtocolType(
        "ServiceH11Protocol",
        (HeadTimeoutH11Protocol,),
        {"header_read_timeout": header_read_timeout, "__module__": __name__},
    )
    return made  # type: ignore[return-value]  # a subclass, made by its metaclass


def _pickle_protocol(cls: _TimedProtocolType) -> tuple[Any, tuple[float]]:
    return head_timeout_protocol, (cls.header_read_timeout,)  # type: ignore[attr-defined]


copyreg.pickle(_TimedProtocolType, _pickle_protocol)


def protocol_class(settings: ServiceSettings) -> type[HeadTimeoutH11Protocol]:
    return head_timeout_protocol(settings.header_read_timeout_seconds)


def uvicorn_options(settings: ServiceSettings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.Config`` for a service (also used by tests)."""
    proxies = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    return {
        "host": settings.host,
        "port": settings.port,
        "http": protocol_class(settings),
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
        "log_config": None,
        "access_log": False,
    }


def run(app: Any, settings: ServiceSettings) -> None:
    """Serve until stopped (a service's ``__main__``).

    ``app`` is the import path of the service's app factory (``"datapark_rental.app:build_app"``),
    which lets ``settings.web_workers`` processes each build their own app, or an app object,
    always served by this one process."""
    options = uvicorn_options(settings)
    workers = settings.web_workers
    if isinstance(app, str):
        options["factory"] = True
    elif workers > 1:
        log.warning(
            "%s: web_workers=%d ignored, an app object is served by one process (several "
            "need the import path of the app factory)",
            settings.service_name,
            workers,
        )
        workers = 1
    with multiprocess_values(needed=workers > 1):
        if workers > 1:
            # the supervisor's own lines (a worker died and was replaced) in the service's log
            configure_logging(
                settings.service_name, level=settings.log_level, json_format=settings.log_json
            )
            uvicorn.run(
                app,
                workers=workers,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                **options,
            )
        else:
            uvicorn.run(app, **options)
