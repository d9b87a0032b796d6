"""Issue, rotate and revoke credentials; exchange them for tokens (OAuth2 client credentials).

The token exchange records failures in its own short transaction (a refused request must
still count), so it takes the ``Database`` rather than a request's session.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.auth.models import Credential
from datapark_catalog.auth.repository import CredentialRepository
from datapark_catalog.auth.schemas import CredentialCreate, TokenResponse
from datapark_catalog.auth.secrets import (
    dummy_hash,
    hash_secret,
    new_client_id,
    new_secret,
    verify_secret,
)
from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.settings import CatalogSettings
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
            secret_hash=hash_secret(secret),
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
        credential.secret_hash = hash_secret(secret)
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
                code="roles_insufficient",
            )
        return credential


class TokenService:
    def __init__(self, database: Database, signer: TokenSigner, settings: CatalogSettings) -> None:
        self.database = database
        self.signer = signer
        self.settings = settings

    async def exchange(
        self, client_id: str, client_secret: str, source: str = "unknown"
    ) -> TokenResponse:
        """Client credentials for a token. Failures are counted per client id *and* source
        address, so guessing from one place is slowed down without letting a stranger lock the
        rightful owner out from everywhere."""
        throttle_key = f"{client_id[:150]}|{source[:45]}"
        now = datetime.now(UTC)
        async with self.database.unit_of_work() as session:
            repo = CredentialRepository(session)
            failures = await repo.failures(throttle_key)
            if failures is not None and failures.locked_until and failures.locked_until > now:
                wait = int((failures.locked_until - now).total_seconds()) + 1
                raise TooManyRequests(
                    f"too many failed attempts; retry in {wait}s", retry_after=wait
                )
            credential = await repo.get(client_id)
            participant = (
                await ParticipantRepository(session).get(credential.participant_id)
                if credential is not None
                else None
            )
        valid = verify_secret(client_secret, credential.secret_hash if credential else dummy_hash())
        usable = (
            valid
            and credential is not None
            and credential.revoked_at is None
            and participant is not None
            and participant.status != "suspended"
        )
        if not usable or credential is None:
            async with self.database.unit_of_work() as session:
                window = timedelta(seconds=self.settings.token_lockout_seconds)
                await CredentialRepository(session).record_failure(
                    throttle_key,
                    now,
                    now - window,
                    self.settings.token_max_failures,
                    now + window,
                )
            raise Unauthorized("invalid client credentials", code="invalid_client")
        if failures is not None:
            async with self.database.unit_of_work() as session:
                await CredentialRepository(session).clear_failures(throttle_key)
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
