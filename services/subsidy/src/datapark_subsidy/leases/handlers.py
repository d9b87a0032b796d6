"""Handlers of rental.orders.v1: a lease becoming active opens its claims; an early
termination claws back; a closed short-term or container rental counts as a rental whose price
fell due when it closed (Xiong'an supports any lease or rental of robots)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.rental import (
    BookingClosed,
    LeaseActivated,
    LeaseTerminated,
    LeaseUsageInvoiced,
)
from datapark_eventing.consumer import Handler
from datapark_kit.errors import Unprocessable
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.policies import ParameterSet

PARK_TIME = ZoneInfo("Asia/Shanghai")
"""Business dates (which calendar year a payment falls in) are the park's local dates."""


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
            # lessee's own equity and earns nothing under a per-payment rule. A service
            # lease's payments are its usage invoices, not the plan it was priced on.
            payments=[]
            if payload.mode == "service_lease"
            else [(p.due_date, p.payment) for p in payload.schedule],
            aggseq=envelope.aggseq,
        )

    async def terminated(
        session: AsyncSession, envelope: Envelope, payload: LeaseTerminated
    ) -> None:
        terminated_on = payload.terminated_on or payload.occurred_at.astimezone(PARK_TIME).date()
        await LeaseService(session, params).lease_terminated(
            lease_id=payload.lease_id, terminated_on=terminated_on, aggseq=envelope.aggseq
        )

    async def booking_closed(
        session: AsyncSession, envelope: Envelope, payload: BookingClosed
    ) -> None:
        if payload.rental_price <= 0:
            return
        await LeaseService(session, params).lease_activated(
            lease_id=payload.booking_id,
            participant_id=payload.customer_participant_id,
            mode=payload.mode.value,
            equipment_category=payload.equipment_category.value,
            cost=Decimal("0.00"),
            down_payment=Decimal("0.00"),
            activated_on=payload.start.astimezone(PARK_TIME).date(),
            payments=[(payload.occurred_at.astimezone(PARK_TIME).date(), payload.rental_price)],
            aggseq=envelope.aggseq,
        )

    async def usage_invoiced(
        session: AsyncSession, envelope: Envelope, payload: LeaseUsageInvoiced
    ) -> None:
        await LeaseService(session, params).usage_invoiced(
            lease_id=payload.lease_id,
            month=payload.month,
            due_on=payload.due_date,
            amount=payload.amount,
        )

    return {
        BookingClosed.event_type: booking_closed,
        LeaseUsageInvoiced.event_type: usage_invoiced,
        LeaseActivated.event_type: activated,
        LeaseTerminated.event_type: terminated,
    }
