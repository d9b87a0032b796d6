"""Handlers of rental.orders.v1: a lease's life as subsidy needs it (and of
catalog.participants.v1: a lessee subsidy did not know yet, whose leases waited for it).

A lease becoming active records its receivables as scheduled (instalments with their interest
and opening balance, and the balloon); ``installment_fell_due`` and ``installment_paid`` accrue
its yearly entitlements; every way a lease ends (termination, early buyout, repossession,
write-off, return, close, pay-off) stops accrual at its date; a closed short-term or container
rental counts as a rental whose price fell due, and was paid, when it closed (Xiong'an supports
any lease or rental of robots).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantSnapshot
from datapark_contracts.events.rental import (
    BookingClosed,
    InstallmentFellDue,
    InstallmentPaid,
    LeaseActivated,
    LeaseBoughtOut,
    LeaseClosed,
    LeasePaidOff,
    LeaseRepossessed,
    LeaseReturned,
    LeaseSnapshot,
    LeaseTerminated,
    LeaseUsageInvoiced,
    LeaseWrittenOff,
)
from datapark_eventing.consumer import Handler, PoisonEvent
from datapark_eventing.projections import PARTICIPANT_EVENTS
from datapark_eventing.subscriptions import Subscriptions, TypedHandler
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.terms.assessment import Receivable
from datapark_subsidy.terms.parameters import ParameterSet

PARK_TIME = ZoneInfo("Asia/Shanghai")
"""Business dates (which calendar year a payment falls in) are the park's local dates."""

ENDINGS: dict[str, type[LeaseSnapshot]] = {
    "terminated": LeaseTerminated,
    "bought_out": LeaseBoughtOut,
    "repossessed": LeaseRepossessed,
    "written_off": LeaseWrittenOff,
    "returned": LeaseReturned,
    "closed": LeaseClosed,
    "paid_off": LeasePaidOff,
}
"""Every way a lease ends; the first one subsidy hears of stops accrual at its date."""

LEASE_REPRICED = "datapark.rental.lease.repriced.v1"
"""An LPR-linked lease's anniversary: the schedule from ``from_period`` on was recomputed (by
type name, so that subsidy runs with or without rental's repricing contract)."""


def schedule_receivables(payload: LeaseSnapshot) -> list[Receivable]:
    """The lease's contractual payments as scheduled: each instalment with its interest, its
    share of the lease's upfront fees (rental spreads them evenly over the instalments: part of
    each instalment's financing cost, never of its amount) and its opening financed balance,
    then the balloon due with the last instalment. A service lease's payments are its usage
    invoices, not the plan it was priced on."""
    if payload.mode == "service_lease":
        return []
    receivables = [
        Receivable(
            kind="installment",
            period=p.period,
            due_on=p.due_date,
            amount=p.payment,
            interest=p.interest,
            fees=p.fees,
            opening_balance=p.balance + p.principal,
        )
        for p in payload.schedule
    ]
    if payload.balloon > 0 and payload.schedule:
        last = payload.schedule[-1]
        receivables.append(
            Receivable(
                kind="balloon",
                period=last.period,
                due_on=last.due_date,
                amount=payload.balloon,
                opening_balance=payload.balloon,
            )
        )
    return receivables


def end_date(payload: LeaseSnapshot) -> date:
    """The day the lease ended: rental's ``ended_on`` (the buyout's value date, the
    termination date, the day it was paid off or returned); for a snapshot of the earlier
    schema, the termination date or else the park date rental reported the end."""
    if payload.ended_on is not None:
        return payload.ended_on
    if payload.terminated_on is not None:
        return payload.terminated_on
    return payload.occurred_at.astimezone(PARK_TIME).date()


def lease_subscriptions(params: ParameterSet) -> Subscriptions:
    """rental.orders.v1 and the lessees from catalog.participants.v1 as subsidy hears them: each
    handler makes one call to the lease service."""
    subscriptions = Subscriptions()
    subscribe = subscriptions.subscribe

    @subscribe(*PARTICIPANT_EVENTS)
    async def lessee_changed(
        session: AsyncSession, envelope: Envelope, payload: ParticipantSnapshot
    ) -> None:
        await LeaseService(session, params).participant_changed(payload, aggseq=envelope.aggseq)

    @subscribe(LeaseActivated)
    async def activated(session: AsyncSession, envelope: Envelope, payload: LeaseActivated) -> None:
        if payload.activated_on is None:
            raise PoisonEvent("an activated lease carries its activation date (activated_on)")
        await LeaseService(session, params).lease_activated(
            lease_id=payload.lease_id,
            participant_id=payload.lessee_participant_id,
            mode=payload.mode,
            equipment_category=payload.equipment_category.value,
            cost=payload.equipment_cost,
            down_payment=payload.down_payment,
            activated_on=payload.activated_on,
            receivables=schedule_receivables(payload),
            aggseq=envelope.aggseq,
        )

    for reason, event_class in ENDINGS.items():
        subscribe(event_class)(_ended(params, reason))

    @subscribe(InstallmentFellDue)
    async def fell_due(
        session: AsyncSession, envelope: Envelope, payload: InstallmentFellDue
    ) -> None:
        await LeaseService(session, params).receivable_fell_due(
            lease_id=payload.lease_id,
            receivable=Receivable(
                payload.kind, payload.period, payload.due_date, payload.amount, payload.interest
            ),
            fell_due_on=payload.occurred_at.astimezone(PARK_TIME).date(),
        )

    @subscribe(InstallmentPaid)
    async def paid(session: AsyncSession, envelope: Envelope, payload: InstallmentPaid) -> None:
        await LeaseService(session, params).receivable_paid(
            lease_id=payload.lease_id,
            receivable=Receivable(payload.kind, payload.period, payload.due_date, payload.amount),
            paid_on=payload.paid_on,
        )

    async def repriced(session: AsyncSession, envelope: Envelope, payload: LeaseSnapshot) -> None:
        from_period = int(getattr(payload, "from_period", 1))
        await LeaseService(session, params).lease_rescheduled(
            lease_id=payload.lease_id,
            receivables=[r for r in schedule_receivables(payload) if r.period >= from_period],
        )

    # by type name: subsidy runs with or without rental's repricing contract
    subscriptions.include({LEASE_REPRICED: repriced})

    @subscribe(BookingClosed)
    async def booking_closed(
        session: AsyncSession, envelope: Envelope, payload: BookingClosed
    ) -> None:
        if payload.rental_price <= 0:
            return
        closed_on = payload.occurred_at.astimezone(PARK_TIME).date()
        await LeaseService(session, params).rental_closed(
            booking_id=payload.booking_id,
            participant_id=payload.customer_participant_id,
            mode=payload.mode.value,
            equipment_category=payload.equipment_category.value,
            started_on=payload.start.astimezone(PARK_TIME).date(),
            closed_on=closed_on,
            rental_price=payload.rental_price,
            aggseq=envelope.aggseq,
        )

    @subscribe(LeaseUsageInvoiced)
    async def usage_invoiced(
        session: AsyncSession, envelope: Envelope, payload: LeaseUsageInvoiced
    ) -> None:
        await LeaseService(session, params).usage_invoiced(
            lease_id=payload.lease_id,
            period=payload.period,
            due_on=payload.due_date,
            amount=payload.amount,
        )

    return subscriptions


def lease_handlers(params: ParameterSet) -> dict[str, Handler]:
    """Event type -> handler of the lease subscriptions, for the consumer."""
    return lease_subscriptions(params).handlers()


def _ended(params: ParameterSet, reason: str) -> TypedHandler[LeaseSnapshot]:
    async def ended(session: AsyncSession, envelope: Envelope, payload: LeaseSnapshot) -> None:
        await LeaseService(session, params).lease_ended(
            lease_id=payload.lease_id,
            ended_on=end_date(payload),
            reason=reason,
            aggseq=envelope.aggseq,
        )

    return ended
