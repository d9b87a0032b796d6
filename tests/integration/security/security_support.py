"""A service app served by a real uvicorn server (as ``python -m datapark_<svc>`` serves it,
through ``datapark_kit.serve``) on a free local port, for what only a real server shows:
keep-alive connections, forwarded headers, slow clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from datapark_kit.serve import uvicorn_options


@contextlib.asynccontextmanager
async def served(app: Any, settings: Any) -> AsyncIterator[str]:
    """Serve ``app`` with the service's uvicorn options on 127.0.0.1:<free port>; yields the
    base URL."""
    options = uvicorn_options(settings) | {"host": "127.0.0.1", "port": 0, "lifespan": "on"}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(300):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        assert server.started, "the server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


async def raw_exchange(base_url: str, payload: bytes, *, wait: float = 10.0) -> tuple[bytes, bool]:
    """Send ``payload`` on a fresh connection and read until the server closes it or ``wait``
    seconds pass; returns what was read and whether the server closed the connection."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(payload)
    await writer.drain()
    received = b""
    closed = False
    try:
        async with asyncio.timeout(wait):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    closed = True
                    break
                received += chunk
    except TimeoutError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return received, closed
