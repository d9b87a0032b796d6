"""Bodies of the credential and token endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel

Role = Literal["operator", "partner", "participant", "customer", "reviewer", "auditor"]


class CredentialCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Role] | None = Field(
        default=None, description="subset of the participant's roles; all of them when omitted"
    )
    label: str | None = Field(default=None, max_length=200)


class CredentialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    participant_id: uuid.UUID
    roles: list[str]
    label: str | None
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


class IssuedCredential(CredentialOut):
    """Returned once, when a credential is created or rotated: the secret is never shown again."""

    client_secret: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str
