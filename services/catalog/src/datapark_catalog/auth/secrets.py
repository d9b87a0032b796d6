"""Client secrets: generated with enough entropy, stored only as a salted scrypt hash.

scrypt costs ~50 ms of CPU and 16 MiB by design; it never runs on the event loop (that would
stall every other request of the process) but in a few worker threads (``SecretHasher``),
and when too many requests already wait for them, a new one is refused at once (503 with
``Retry-After``) instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from datapark_catalog.problems import CatalogProblem
from datapark_kit.errors import ServiceUnavailable

T = TypeVar("T")

_N, _R, _P = 2**14, 8, 1


def new_client_id() -> str:
    return "dp_" + secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())
    return f"scrypt${_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        secret.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


class SecretHasher:
    """Hash and verify secrets in ``workers`` threads, with at most ``queue`` waiting."""

    def __init__(self, *, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secret-hash")
        self._pending = 0  # running or waiting for a thread

    @property
    def waiting(self) -> int:
        return max(0, self._pending - self.workers)

    async def verify(self, secret: str, stored: str) -> bool:
        return await self._run(verify_secret, secret, stored)

    async def hash(self, secret: str) -> str:
        return await self._run(hash_secret, secret)

    async def _run(self, function: Callable[..., T], *args: str) -> T:
        if self._pending >= self.workers + self.queue:
            raise ServiceUnavailable(
                "too many credential checks in progress; retry shortly",
                code=CatalogProblem.ISSUER_BUSY,
                retry_after=1,
            )
        self._pending += 1
        loop = asyncio.get_running_loop()
        job = self._pool.submit(function, *args)
        # Counted until the thread is done with it, even if the request is cancelled first
        # (a client that hangs up does not free a place its hashing still takes).
        job.add_done_callback(lambda _: _call_soon(loop, self._release))
        return await asyncio.wrap_future(job)

    def _release(self) -> None:
        self._pending -= 1


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing to count
        loop.call_soon_threadsafe(callback)
