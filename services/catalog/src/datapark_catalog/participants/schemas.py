"""Request and response bodies of the participant endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from datapark_catalog.participants.uscc import InvalidUSCC, validate_uscc
from datapark_kit.schemas import RequestModel

Role = Literal["operator", "partner", "participant", "customer", "reviewer", "auditor"]

GROUP_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
GROUP_CODE_DOC = (
    "the corporate group (集团) the participant belongs to, as the operator records it for "
    "lessors' concentration limits: a code that is not ours (for example the parent "
    "company's USCC), letters, digits, '.', '_' and '-'"
)

_REGISTRATION: JsonDict = {
    "name": "兰州新区智能装备有限公司",
    "kind": "company",
    "uscc": "91620100AY4CL12THD",
    "region_code": "620100",
    "operating_region_code": "620171",
    "roles": ["participant", "customer"],
    "park_member": True,
    "group_code": "91620100MA74XK1B2Q",
    "contact_email": "data@lzxq-robotics.example",
}
_PARTICIPANT: JsonDict = {
    "id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
    **{k: v for k, v in _REGISTRATION.items() if k != "contact_email"},
    "status": "active",
    "created_at": "2026-11-30T07:40:00Z",
    "updated_at": "2026-11-30T07:45:00Z",
}


class ParticipantCreate(RequestModel):
    """A company (with its USCC) or a person registering with the park."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [_REGISTRATION]},
    )

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["company", "person"] = "company"
    uscc: str | None = Field(default=None, description="Unified Social Credit Code (companies)")
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="6-digit division code")
    operating_region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    roles: list[Role] = Field(default=["participant"], min_length=1)
    park_member: bool = False
    group_code: str | None = Field(default=None, pattern=GROUP_CODE, description=GROUP_CODE_DOC)
    contact_email: str | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_uscc(value)
        except InvalidUSCC as exc:
            raise ValueError(f"invalid USCC: {exc}") from exc

    @model_validator(mode="after")
    def _company_has_uscc(self) -> ParticipantCreate:
        if self.kind == "company" and self.uscc is None:
            raise ValueError("a company needs its uscc")
        return self


class ParticipantUpdate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"operating_region_code": "620171", "park_member": True}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    operating_region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    park_member: bool | None = None
    group_code: str | None = Field(default=None, pattern=GROUP_CODE, description=GROUP_CODE_DOC)
    contact_email: str | None = Field(
        default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )


class SuspendRequest(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "the business licence was revoked"}]},
    )

    reason: str = Field(min_length=1, max_length=500)


class ParticipantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PARTICIPANT]})

    id: uuid.UUID
    name: str
    kind: str
    uscc: str | None = None
    region_code: str
    operating_region_code: str | None = None
    roles: list[str]
    park_member: bool
    group_code: str | None = Field(default=None, description=GROUP_CODE_DOC)
    status: str
    created_at: datetime
    updated_at: datetime


class ParticipantPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PARTICIPANT]}]})

    items: list[ParticipantOut]
    next_cursor: str | None = None
