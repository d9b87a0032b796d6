"""Handlers of rental.orders.v1: a lease becoming active opens its claims; an early
termination claws back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.rental import LeaseActivated, LeaseTerminated
from datapark_eventing.consumer import Handler
from datapark_kit.errors import Unprocessable
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.policies import ParameterSet


def lease_handlers(params: ParameterSet) -> dict[str, Handler]:
    async def activated(session: AsyncSession, envelope: Envelope, payload: LeaseActivated) -> None:
        if payload.activated_on is None:
            raise Unprocessable(
                "an activated lease carries its activation date", field="activated_on"
            )
        await LeaseService(session, params).lease_activated(
            lease_id=payload.lease_id,
            participant_id=payload.lessee_participant_id,
            mode=payload.mode,
            equipment_category=payload.equipment_category.value,
            cost=payload.equipment_cost,
            down_payment=payload.down_payment,
            activated_on=payload.activated_on,
            # the schedule's payments (rent or installments); the down payment is the
            # lessee's own equity and earns nothing under a per-payment rule
            payments=[(p.due_date, p.payment) for p in payload.schedule],
            aggseq=envelope.aggseq,
        )

    async def terminated(
        session: AsyncSession, envelope: Envelope, payload: LeaseTerminated
    ) -> None:
        terminated_on = payload.terminated_on or payload.occurred_at.date()
        await LeaseService(session, params).lease_terminated(
            lease_id=payload.lease_id, terminated_on=terminated_on, aggseq=envelope.aggseq
        )

    return {
        LeaseActivated.event_type: activated,
        LeaseTerminated.event_type: terminated,
    }
