"""HTTP endpoints of partner membership."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.partners.schemas import MembershipOut
from datapark_trading.partners.service import PartnerService
from datapark_trading.problems import PARTNERS

router = APIRouter(
    prefix="/v1/partners",
    tags=["partners"],
    route_class=UnitOfWorkRoute,
    responses=problems(*PARTNERS),
)


@router.put(
    "/{partner_id}/members/{member_id}",
    status_code=status.HTTP_200_OK,
    response_model=MembershipOut,
    dependencies=[require_roles("operator")],
)
async def add_member(
    partner_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep
) -> MembershipOut:
    """An operator records that an exchange partner acts for a member (idempotent)."""
    await PartnerService(session).add_member(partner_id, member_id)
    return MembershipOut(partner_id=partner_id, member_id=member_id)
