"""Issue, rotate and revoke credentials; exchange them for tokens (OAuth2 client credentials).

The token exchange records failures in its own short transaction (a refused request must
still count), so it takes the ``Database`` rather than a request's session; it never holds a
transaction (or a connection) while a secret is being hashed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.auth.models import Credential
from datapark_catalog.auth.repository import CredentialRepository
from datapark_catalog.auth.schemas import CredentialCreate, TokenResponse
from datapark_catalog.auth.secrets import (
    SecretHasher,
    hash_secret,
    new_client_id,
    new_secret,
)
from datapark_catalog.auth.throttle import SourceThrottle
from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.settings import CatalogSettings
from datapark_kit import ratelimit
from datapark_kit.auth import Principal, TokenSigner
from datapark_kit.db import Database
from datapark_kit.errors import (
    Forbidden,
    InvalidState,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)


class CredentialService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = CredentialRepository(session)

    async def create(
        self, participant_id: uuid.UUID, data: CredentialCreate
    ) -> tuple[Credential, str]:
        participant = await ParticipantRepository(self.session).get(participant_id)
        if participant is None:
            raise NotFound("participant not found")
        roles = sorted(set(data.roles)) if data.roles else sorted(participant.roles)
        extra = set(roles) - set(participant.roles)
        if extra:
            raise Unprocessable(
                f"roles not held by the participant: {', '.join(sorted(extra))}", field="roles"
            )
        secret = new_secret()
        credential = Credential(
            client_id=new_client_id(),
            participant_id=participant.id,
            roles=roles,
            secret_hash=await asyncio.to_thread(hash_secret, secret),
            label=data.label,
            created_at=datetime.now(UTC),
        )
        await self.repo.add(credential)
        return credential, secret

    async def rotate(self, principal: Principal, client_id: str) -> tuple[Credential, str]:
        credential = await self._owned(principal, client_id)
        if credential.revoked_at is not None:
            raise InvalidState("credential", "revoked", "rotate")
        secret = new_secret()
        credential.secret_hash = await asyncio.to_thread(hash_secret, secret)
        credential.rotated_at = datetime.now(UTC)
        await self.session.flush()
        return credential, secret

    async def revoke(self, principal: Principal, client_id: str) -> Credential:
        credential = await self._owned(principal, client_id)
        if credential.revoked_at is None:
            credential.revoked_at = datetime.now(UTC)
            await self.session.flush()
        return credential

    async def _owned(self, principal: Principal, client_id: str) -> Credential:
        """An operator, or a credential of the same participant holding every role of the
        target (a customer-only key must not mint itself a participant's key)."""
        credential = await self.repo.get(client_id, for_update=True)
        if credential is None or not (
            principal.has("operator") or credential.participant_id == principal.participant_id
        ):
            raise NotFound("credential not found")
        if not principal.has("operator") and not set(credential.roles) <= principal.roles:
            raise Forbidden(
                "a credential may only be managed with one holding all of its roles",
                code=CatalogProblem.ROLES_INSUFFICIENT,
            )
        return credential


class TokenService:
    """The client-credentials exchange, hardened against guessing and flooding:

    1. per source address, before anything else: a bounded number of requests at once and of
       unsuccessful ones per window (``SourceThrottle``, in memory, 429 after a short delay,
       so that a client ignoring ``Retry-After`` cannot loop on cheap refusals);
    2. per known client id: a lock after ``token_max_failures`` failures from one source, and
       after ``token_max_failures_per_client`` from all sources together (in the database,
       shared by replicas, 429 with ``Retry-After``);
    3. the secret is checked in the bounded hashing pool (``SecretHasher``, 503 when full).

    Nothing is stored for a client id that does not exist, and counters are purged once their
    window and lock are over.
    """

    PURGE_EVERY_SECONDS = 60.0

    def __init__(self, database: Database, signer: TokenSigner, settings: CatalogSettings) -> None:
        self.database = database
        self.signer = signer
        self.settings = settings
        self.hasher = SecretHasher(
            workers=settings.token_hash_workers, queue=settings.token_hash_queue
        )
        self.sources = SourceThrottle(
            max_unsuccessful=settings.token_failures_per_source,
            window_seconds=settings.token_source_window_seconds,
            max_in_flight=settings.token_concurrent_per_source,
        )
        self._dummy_hash: str | None = None
        self._purged_at = float("-inf")

    async def exchange(
        self, client_id: str, client_secret: str, source: str = "unknown"
    ) -> TokenResponse:
        """Client credentials for a token (see the class for what is refused when)."""
        wait = self.sources.enter(source)
        if wait is not None:
            ratelimit.report(self.sources.quota(source))
            await asyncio.sleep(self.settings.token_throttle_delay_seconds)
            raise TooManyRequests(
                f"too many token requests from this address; retry in {wait}s", retry_after=wait
            )
        succeeded = False
        try:
            response = await self._exchange(client_id, client_secret, source)
            succeeded = True
            return response
        finally:
            self.sources.leave(source, succeeded=succeeded)
            ratelimit.report(self.sources.quota(source))

    async def _exchange(self, client_id: str, client_secret: str, source: str) -> TokenResponse:
        per_source = f"{client_id[:150]}|{source[:45]}"
        now = datetime.now(UTC)
        async with self.database.unit_of_work() as session:
            repo = CredentialRepository(session)
            credential = await repo.get(client_id)
            participant = None
            if credential is not None:
                locked = await repo.locked_until([per_source, credential.client_id], now)
                if locked is not None:
                    wait = int((locked - now).total_seconds()) + 1
                    lockout = self.settings.token_lockout_seconds
                    # Locked for this client id (from this source or from all): none left.
                    quota = ratelimit.RateLimit(self.settings.token_max_failures, 0, wait, lockout)
                    ratelimit.report(quota)
                    raise TooManyRequests(
                        f"too many failed attempts; retry in {wait}s", retry_after=wait
                    )
                participant = await ParticipantRepository(session).get(credential.participant_id)
        # An unknown client id costs the same hashing time as a known one.
        stored = credential.secret_hash if credential is not None else await self._dummy()
        valid = await self.hasher.verify(client_secret, stored)
        usable = (
            valid
            and credential is not None
            and credential.revoked_at is None
            and participant is not None
            and participant.status != "suspended"
        )
        if not usable or credential is None:
            if credential is not None:
                await self._count_failure(credential.client_id, per_source, now)
            raise Unauthorized("invalid client credentials", code=CatalogProblem.INVALID_CLIENT)
        async with self.database.unit_of_work() as session:
            await CredentialRepository(session).clear_failures(per_source)
        token = self.signer.issue(
            client_id=credential.client_id,
            participant_id=credential.participant_id,
            roles=list(credential.roles),
        )
        return TokenResponse(
            access_token=token,
            expires_in=self.signer.ttl_seconds,
            scope=" ".join(sorted(credential.roles)),
        )

    async def _count_failure(self, client_id: str, per_source: str, now: datetime) -> None:
        """Count a failure of a known client id, from this source and from anywhere."""
        window = timedelta(seconds=self.settings.token_lockout_seconds)
        async with self.database.unit_of_work() as session:
            repo = CredentialRepository(session)
            limits = (
                (per_source, self.settings.token_max_failures),
                (client_id, self.settings.token_max_failures_per_client),
            )
            for key, limit in limits:
                await repo.record_failure(key, now, now - window, limit, now + window)
            if time.monotonic() - self._purged_at >= self.PURGE_EVERY_SECONDS:
                self._purged_at = time.monotonic()
                await repo.purge_failures(now, now - window)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hasher.hash(new_secret())
        return self._dummy_hash
