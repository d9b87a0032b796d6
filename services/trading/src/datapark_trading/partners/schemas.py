"""Response bodies of partner membership."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict


class MembershipOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner_id": "5b7d9f1a-3c5e-4a7b-9c1d-3e5f7a9b1c2d",
                    "member_id": "8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84",
                }
            ]
        }
    )

    partner_id: uuid.UUID
    member_id: uuid.UUID
