"""What subsidy does with the events it consumes: event type -> handler."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantSnapshot
from datapark_eventing.consumer import Handler
from datapark_eventing.projections import participant_handlers
from datapark_subsidy.leases.handlers import lease_handlers
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.tables import PARTICIPANTS
from datapark_subsidy.terms.parameters import ParameterSet


def event_handlers(params: ParameterSet) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for event_type, project in participant_handlers(PARTICIPANTS).items():
        handlers[event_type] = _then_assess_waiting_leases(project, params)
    handlers.update(lease_handlers(params))
    return handlers


def _then_assess_waiting_leases(project: Handler, params: ParameterSet) -> Handler:
    """Project the participant, then open the claims of its leases that waited for it."""

    async def handle(
        session: AsyncSession, envelope: Envelope, payload: ParticipantSnapshot
    ) -> None:
        await project(session, envelope, payload)
        await LeaseService(session, params).participant_known(payload.participant_id)

    return handle
