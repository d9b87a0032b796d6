"""Response bodies of partner membership."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class MembershipOut(BaseModel):
    partner_id: uuid.UUID
    member_id: uuid.UUID
