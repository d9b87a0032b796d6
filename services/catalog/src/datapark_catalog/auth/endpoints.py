"""Credentials, the token endpoint and the published keys."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response, status

from datapark_catalog.auth.schemas import (
    CredentialCreate,
    CredentialOut,
    IssuedCredential,
    TokenResponse,
)
from datapark_catalog.auth.service import CredentialService, TokenService
from datapark_catalog.problems import AUTH, CatalogProblem
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.errors import Unprocessable
from datapark_kit.idempotency import shown_once
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["auth"], route_class=UnitOfWorkRoute, responses=problems(*AUTH))
public = APIRouter(tags=["auth"], responses=problems(*AUTH))


@router.post(
    "/v1/participants/{participant_id}/credentials",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedCredential,
    dependencies=[require_roles("operator")],
)
async def create_credential(
    participant_id: uuid.UUID, body: CredentialCreate, session: SessionDep, response: Response
) -> IssuedCredential:
    """Issue a client id and secret for a participant. The secret is shown only here."""
    credential, secret = await CredentialService(session).create(participant_id, body)
    shown_once(response)
    return IssuedCredential.of(credential, secret)


@router.post("/v1/credentials/{client_id}/rotate", response_model=IssuedCredential)
async def rotate_credential(
    client_id: str, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> IssuedCredential:
    """Replace the secret (owner or operator); the old secret stops working at once."""
    credential, secret = await CredentialService(session).rotate(principal, client_id)
    shown_once(response)
    return IssuedCredential.of(credential, secret)


@router.post("/v1/credentials/{client_id}/revoke", response_model=CredentialOut)
async def revoke_credential(
    client_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CredentialOut:
    """Revoke the credential (owner or operator): no new tokens are issued for it."""
    return CredentialOut.model_validate(
        await CredentialService(session).revoke(principal, client_id)
    )


TOKEN_FORM = "application/x-www-form-urlencoded"
TOKEN_REQUEST = {
    "grant_type": "client_credentials",
    "client_id": "dp_7f3k2m9q4x8w1z6c",
    "client_secret": "s3cr3t-shown-once-Xq9vT2LwR8bN",
}
JWKS_EXAMPLE = {
    "keys": [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "datapark-2026-11",
            "alg": "EdDSA",
            "use": "sig",
        }
    ]
}


@public.post(
    "/v1/auth/token",
    response_model=TokenResponse,
    openapi_extra={"requestBody": {"content": {TOKEN_FORM: {"example": TOKEN_REQUEST}}}},
)
async def issue_token(
    request: Request,
    response: Response,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str, Form(max_length=200)],
    client_secret: Annotated[str, Form(max_length=500)],
) -> TokenResponse:
    """OAuth2 client-credentials grant: a short-lived EdDSA JWT with participant id and roles.

    Repeated failures for one client id lock it for a while (429 with ``retry_after``)."""
    if grant_type != "client_credentials":
        raise Unprocessable(
            "only grant_type=client_credentials is supported",
            field="grant_type",
            code=CatalogProblem.UNSUPPORTED_GRANT_TYPE,
        )
    service: TokenService = request.app.state.token_service
    source = request.client.host if request.client else "unknown"
    issued = await service.exchange(client_id, client_secret, source)
    shown_once(response)  # RFC 6749 5.1: a token response is never cached
    response.headers["Pragma"] = "no-cache"
    return issued


@public.get(
    "/.well-known/jwks.json",
    responses={200: {"content": {"application/json": {"example": JWKS_EXAMPLE}}}},
)
async def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify every datapark token."""
    document: dict[str, Any] = json.loads(request.app.state.settings.jwt_public_jwks)
    return document
