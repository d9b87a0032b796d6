"""Who acts: the caller's own participant, or a member a partner acts for.

An exchange partner (role ``partner``) names the member it acts for in the
``Datapark-On-Behalf-Of`` header; it may do so only for its members (``partner_members``).
Every trade records both: the acting member as the party and the partner as the one who called.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from datapark_kit.auth import CurrentPrincipal, Principal
from datapark_kit.errors import Forbidden, NotFound, Unprocessable
from datapark_kit.openapi import KitCode
from datapark_kit.uow import SessionDep
from datapark_trading.partners.repository import PartnerRepository
from datapark_trading.problems import TradingProblem

ON_BEHALF_OF = "Datapark-On-Behalf-Of"


@dataclass(frozen=True)
class Actor:
    """The party a request acts as, and the principal that made it."""

    participant_id: uuid.UUID
    principal: Principal
    partner_id: uuid.UUID | None = None

    @property
    def sees_all(self) -> bool:
        return self.principal.sees_all_tenants and self.partner_id is None

    def is_party(self, *party_ids: uuid.UUID) -> bool:
        return self.participant_id in party_ids

    def ensure_party(self, *party_ids: uuid.UUID, what: str) -> None:
        """For reading: 404 unless the actor is one of the parties (or may see every tenant)."""
        if not (self.sees_all or self.is_party(*party_ids)):
            raise NotFound(f"{what} not found")

    def ensure_acting_party(self, *party_ids: uuid.UUID, what: str) -> None:
        """For changing: only a party acts on a trade. Whoever may merely read every tenant
        (an operator or auditor who is not a party) gets 403; anyone else 404."""
        if self.is_party(*party_ids):
            return
        if self.sees_all:
            raise Forbidden(
                f"only a party to the {what} may change it", code=TradingProblem.NOT_A_PARTY
            )
        raise NotFound(f"{what} not found")


async def resolve_actor(
    principal: CurrentPrincipal,
    session: SessionDep,
    on_behalf_of: Annotated[str | None, Header(alias=ON_BEHALF_OF)] = None,
) -> Actor:
    if on_behalf_of is None:
        return Actor(participant_id=principal.participant_id, principal=principal)
    if not principal.has("partner"):
        raise Forbidden(f"only a partner may send {ON_BEHALF_OF}", code=KitCode.ROLE_REQUIRED)
    try:
        member = uuid.UUID(on_behalf_of)
    except ValueError:
        raise Unprocessable(f"{ON_BEHALF_OF} is not a participant id", field=ON_BEHALF_OF) from None
    if not await PartnerRepository(session).is_member(principal.participant_id, member):
        raise Forbidden(
            "the partner does not act for this participant", code=TradingProblem.NOT_A_MEMBER
        )
    return Actor(participant_id=member, principal=principal, partner_id=principal.participant_id)


CurrentActor = Annotated[Actor, Depends(resolve_actor)]


async def require_trading_participant(session: SessionDep, participant_id: uuid.UUID) -> None:
    """Refuse a party that catalog has not approved or has suspended (422)."""
    status = await PartnerRepository(session).participant_status(participant_id)
    if status != "active":
        raise Unprocessable(
            "the participant is not an active, approved participant of the park",
            field="participant_id",
            code=TradingProblem.PARTICIPANT_NOT_ACTIVE,
        )
