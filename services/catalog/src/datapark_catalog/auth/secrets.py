"""Client secrets: generated with enough entropy, stored only as a salted scrypt hash.

scrypt costs ~50 ms of CPU and 16 MiB by design; it never runs on the event loop (that would
stall every other request of the process) but in a few worker threads (``SecretHasher``),
and when too many requests already wait for them, a new one is refused at once (503 with
``Retry-After``) instead of queueing without bound.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import anyio
import anyio.to_thread

from datapark_kit.errors import ServiceUnavailable

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
    """Hash and verify secrets in at most ``workers`` threads, with at most ``queue`` waiting."""

    def __init__(self, *, workers: int, queue: int) -> None:
        self.queue = queue
        self._limiter = anyio.CapacityLimiter(workers)

    @property
    def waiting(self) -> int:
        return self._limiter.statistics().tasks_waiting

    async def verify(self, secret: str, stored: str) -> bool:
        self._admit()
        return await anyio.to_thread.run_sync(verify_secret, secret, stored, limiter=self._limiter)

    async def hash(self, secret: str) -> str:
        self._admit()
        return await anyio.to_thread.run_sync(hash_secret, secret, limiter=self._limiter)

    def _admit(self) -> None:
        if self._limiter.available_tokens == 0 and self.waiting >= self.queue:
            raise ServiceUnavailable(
                "too many credential checks in progress; retry shortly",
                code="issuer_busy",
                retry_after=1,
            )
