"""Identity: EdDSA JWTs issued by catalog and verified offline by every service.

``CurrentPrincipal`` gives an endpoint its caller; ``require_roles`` checks the role;
``Principal.ensure_tenant`` hides another tenant's objects behind a 404.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt import PyJWK

from datapark_kit.errors import Forbidden, NotFound, Unauthorized
from datapark_kit.logs import principal_var

log = logging.getLogger("datapark.auth")
Role = Literal["operator", "partner", "participant", "customer", "reviewer", "auditor"]
ROLES: tuple[Role, ...] = ("operator", "partner", "participant", "customer", "reviewer", "auditor")
# Roles that see every tenant's objects (auditors read-only: they get no write endpoints).
ALL_TENANTS: frozenset[str] = frozenset({"operator", "auditor"})
VERIFIED_TOKENS = 4096
"""How many verified tokens a verifier remembers (``TokenVerifier.verify``)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: its participant, roles and credential."""

    participant_id: uuid.UUID
    roles: frozenset[str]
    client_id: str
    token_id: str

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_all_tenants(self) -> bool:
        return bool(self.roles & ALL_TENANTS)

    def may_access(self, owner_id: uuid.UUID | None) -> bool:
        return self.sees_all_tenants or (owner_id is not None and owner_id == self.participant_id)

    def ensure_tenant(self, owner_id: uuid.UUID | None, what: str = "resource") -> None:
        """404 rather than 403 for another tenant's object: its existence is not revealed."""
        if not self.may_access(owner_id):
            raise NotFound(f"{what} not found")


class TokenVerifier:
    """Verifies tokens against the published keys; no network on the request path, except
    that a token signed by a key not seen yet makes it re-read the issuer's JWKS (at most once
    per ``refresh_seconds``), so a key rotation at catalog needs no restart elsewhere."""

    def __init__(
        self,
        jwks_json: str,
        *,
        issuer: str,
        audience: str,
        leeway: int = 5,
        jwks_url: str | None = None,
        refresh_seconds: float = 60.0,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.jwks_url = jwks_url
        self.refresh_seconds = refresh_seconds
        self._refreshed_at = float("-inf")
        self._keys: dict[str, Any] = {}
        # token -> (principal, not before, expiry), both with the leeway applied
        self._verified: dict[str, tuple[Principal, float, float]] = {}
        self.load_jwks(jwks_json)

    async def refresh(self) -> bool:
        """Re-read the JWKS from ``jwks_url`` unless that was done recently; True if it was."""
        if self.jwks_url is None or time.monotonic() - self._refreshed_at < self.refresh_seconds:
            return False
        self._refreshed_at = time.monotonic()
        from datapark_kit.httpclient import make_client

        try:
            async with make_client(timeout=5) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                self.load_jwks(response.text)
        except (httpx.HTTPError, ValueError, KeyError) as error:
            # The issuer is unreachable or answered nonsense: the token stays unverifiable.
            log.warning(
                "could not refresh the JWKS from %s: %s", self.jwks_url, type(error).__name__
            )
            return False
        return True

    async def verify_or_refresh(self, token: str) -> Principal:
        try:
            return self.verify(token)
        except Unauthorized as error:
            if error.code != "unknown_key" or not await self.refresh():
                raise
            return self.verify(token)

    def load_jwks(self, jwks_json: str) -> None:
        keys = json.loads(jwks_json)["keys"]
        self._keys = {k["kid"]: PyJWK(k).key for k in keys}
        # A key may have been withdrawn: every token is checked against the new set again.
        self._verified = {}

    def verify(self, token: str) -> Principal:
        """The principal of a valid token (else ``Unauthorized``). A token verified before is
        not decoded and its signature not checked again while it is within its validity
        (``nbf``..``exp``, with the leeway): the same bytes carry the same claims, and a
        client sends the same token for many requests. Reading the JWKS again forgets them."""
        known = self._verified.get(token)
        if known is not None:
            principal, not_before, expires = known
            if not_before <= time.time() < expires:
                return principal
        principal, not_before, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()  # bounded; the callers' live tokens come back at once
        self._verified[token] = (principal, not_before, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float, float]:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid", ""))
            if key is None:
                raise Unauthorized("token signed by an unknown key", code="unknown_key")
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("token invalid", code="invalid_token") from None
        try:
            principal = Principal(
                participant_id=uuid.UUID(claims["pid"]),
                roles=frozenset(r for r in claims.get("roles", []) if r in ROLES),
                client_id=str(claims["sub"]),
                token_id=str(claims["jti"]),
            )
            not_before = float(claims.get("nbf", float("-inf"))) - self.leeway
            expires = float(claims["exp"]) + self.leeway
        except (KeyError, ValueError, TypeError):
            raise Unauthorized("token claims invalid", code="invalid_token") from None
        return principal, not_before, expires


class TokenSigner:
    """Signs access tokens (catalog only)."""

    def __init__(
        self, private_key_pem: str, *, key_id: str, issuer: str, audience: str, ttl_seconds: int
    ) -> None:
        self._key = private_key_pem
        self.key_id = key_id
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, *, client_id: str, participant_id: uuid.UUID, roles: list[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "pid": str(participant_id),
            "roles": sorted(roles),
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.key_id})


_bearer = HTTPBearer(auto_error=False)


# The request's verified caller: (token, principal), so a token is verified once per request
# (the unit of work verifies it before the endpoint's own dependency asks again).
PRINCIPAL_SCOPE_KEY = "datapark.principal"


async def verified_principal(request: Request, token: str) -> Principal:
    """The principal ``token`` carries, verified at most once per request."""
    cached: tuple[str, Principal] | None = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if cached is not None and cached[0] == token:
        return cached[1]
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify_or_refresh(token)
    request.scope[PRINCIPAL_SCOPE_KEY] = (token, principal)
    return principal


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required", code="missing_token")
    principal = await verified_principal(request, credentials.credentials)
    principal_var.set(principal.client_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Any:
    """A dependency that lets through only callers holding one of ``roles`` (else 403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(roles)}", code="role_required")
        return principal

    return Depends(check)


def jwks_from_private_key(private_key_pem: str, key_id: str) -> str:
    """The JWKS document publishing the public half of an Ed25519 signing key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )

    key = load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return json.dumps(
        {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": x,
                    "kid": key_id,
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        },
        separators=(",", ":"),
    )
