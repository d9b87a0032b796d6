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
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from datapark_kit.settings import ServiceSettings


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


def protocol_class(settings: ServiceSettings) -> type[HeadTimeoutH11Protocol]:
    return type(
        "ServiceH11Protocol",
        (HeadTimeoutH11Protocol,),
        {"header_read_timeout": settings.header_read_timeout_seconds},
    )


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
    """Serve ``app`` until stopped (a service's ``__main__``)."""
    uvicorn.run(app, **uvicorn_options(settings))
