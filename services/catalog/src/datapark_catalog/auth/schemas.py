"""Bodies of the credential and token endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from datapark_catalog.auth.models import Credential
from datapark_kit.schemas import RequestModel

Role = Literal["operator", "partner", "participant", "customer", "reviewer", "auditor"]


_CREDENTIAL: JsonDict = {
    "client_id": "dp_7f3k2m9q4x8w1z6c",
    "participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
    "roles": ["participant"],
    "label": "ERP integration",
    "created_at": "2026-11-30T08:00:00Z",
}


class CredentialCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"roles": ["participant"], "label": "ERP integration"}]},
    )

    roles: list[Role] | None = Field(
        default=None, description="subset of the participant's roles; all of them when omitted"
    )
    label: str | None = Field(default=None, max_length=200)


class CredentialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_CREDENTIAL]})

    client_id: str
    participant_id: uuid.UUID
    roles: list[str]
    label: str | None = None
    created_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None


class IssuedCredential(CredentialOut):
    """Returned once, when a credential is created or rotated: the secret is never shown again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_CREDENTIAL, "client_secret": "s3cr3t-shown-once-Xq9vT2LwR8bN"}]
        }
    )

    client_secret: str

    @classmethod
    def of(cls, credential: Credential, secret: str) -> IssuedCredential:
        """The stored credential with the secret just issued for it."""
        return cls.model_validate(
            {**CredentialOut.model_validate(credential).model_dump(), "client_secret": secret}
        )


class TokenResponse(BaseModel):
    """An OAuth2 access token (RFC 6749 5.1)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIwMTkzYTVlMSJ9.c2lnbmF0dXJl",
                    "token_type": "Bearer",
                    "expires_in": 900,
                    "scope": "participant",
                }
            ]
        }
    )

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str
