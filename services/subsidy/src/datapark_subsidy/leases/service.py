"""The lease projection and what subsidy does as a lease runs: receivables falling due and
being paid accrue its yearly entitlements; its end (however it ends) stops accrual and may
claw back.

Rental's facts arrive through the inbox (a duplicate never reaches us); the projection is
idempotent by state as well (``aggseq`` guard, first-date-wins receivable marks, row locks,
unique claim per lease, policy, period and basis), so replays never make a second claim. A
lease whose lessee subsidy does not know yet waits, unassessed, until the participant arrives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.participants import ParticipantSnapshot
from datapark_subsidy.claims.service import ClaimService
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord
from datapark_subsidy.leases.repository import LeaseRepository
from datapark_subsidy.participants.repository import ParticipantDirectory
from datapark_subsidy.terms.assessment import ZERO, LeaseFacts, Receivable
from datapark_subsidy.terms.parameters import ParameterSet


def lease_facts(record: LeaseRecord, receivables: Sequence[LeaseReceivableRecord]) -> LeaseFacts:
    return LeaseFacts(
        lease_id=str(record.id),
        participant_id=str(record.participant_id),
        mode=record.mode,
        equipment_category=record.equipment_category,
        cost=record.cost,
        down_payment=record.down_payment,
        activated_on=record.activated_on,
        receivables=tuple(
            Receivable(
                kind=r.kind,
                period=r.period,
                due_on=r.due_on,
                amount=r.amount,
                interest=r.interest,
                fees=r.fees,
                opening_balance=r.opening_balance,
                paid_on=r.paid_on,
            )
            for r in receivables
        ),
        ended_on=record.ended_on,
        end_reason=record.end_reason,
    )


def _row(lease_id: uuid.UUID, r: Receivable) -> dict[str, object]:
    return {
        "lease_id": lease_id,
        "kind": r.kind,
        "period": r.period,
        "due_on": r.due_on,
        "amount": r.amount,
        "interest": r.interest,
        "fees": r.fees,
        "opening_balance": r.opening_balance,
        "fell_due_on": r.paid_on,
        "paid_on": r.paid_on,
    }


class LeaseService:
    def __init__(self, session: AsyncSession, params: ParameterSet) -> None:
        self.session = session
        self.params = params
        self.repo = LeaseRepository(session)
        self.claims = ClaimService(session, params)

    async def lease_activated(
        self,
        *,
        lease_id: uuid.UUID,
        participant_id: uuid.UUID,
        mode: str,
        equipment_category: str,
        cost: Decimal,
        down_payment: Decimal,
        activated_on: date,
        receivables: Sequence[Receivable],
        aggseq: int,
        ended_on: date | None = None,
        end_reason: str | None = None,
    ) -> None:
        """A lease became active (or a rental closed): record it and its receivables as
        scheduled. Nothing is earned until receivables are paid (a closed rental's price was)."""
        values: dict[str, object] = {
            "participant_id": participant_id,
            "mode": mode,
            "equipment_category": equipment_category,
            "cost": cost,
            "down_payment": down_payment,
            "activated_on": activated_on,
            "aggseq": aggseq,
            "updated_at": datetime.now(UTC),
        }
        if ended_on is not None:
            values |= {"ended_on": ended_on, "end_reason": end_reason}
        await self.repo.upsert(lease_id, values)
        record = await self.repo.get(lease_id, for_update=True)
        if record is None:
            return
        await self.repo.add_receivables([_row(lease_id, r) for r in receivables])
        await self._accrue(record)

    async def rental_closed(
        self,
        *,
        booking_id: uuid.UUID,
        participant_id: uuid.UUID,
        mode: str,
        equipment_category: str,
        started_on: date,
        closed_on: date,
        rental_price: Decimal,
        aggseq: int,
    ) -> None:
        """A short-term or container rental closed: recorded as a lease (keyed by the booking)
        that ran from its start to its close, whose one receivable, the rental price, fell due
        and was paid on the day it closed (Xiong'an supports any lease or rental of robots)."""
        await self.lease_activated(
            lease_id=booking_id,
            participant_id=participant_id,
            mode=mode,
            equipment_category=equipment_category,
            cost=ZERO,
            down_payment=ZERO,
            activated_on=started_on,
            receivables=[Receivable("rental", 1, closed_on, rental_price, paid_on=closed_on)],
            aggseq=aggseq,
            ended_on=closed_on,
            end_reason="closed",
        )

    async def receivable_fell_due(
        self, *, lease_id: uuid.UUID, receivable: Receivable, fell_due_on: date
    ) -> None:
        """An instalment (balloon, usage invoice) fell due: recorded; it earns once paid."""
        record = await self.repo.get(lease_id, for_update=True)
        if record is None:
            return  # a lease subsidy never saw activated earns nothing
        await self.repo.add_receivables([_row(lease_id, receivable)])
        await self.repo.mark(lease_id, receivable.kind, receivable.period, fell_due_on=fell_due_on)

    async def receivable_paid(
        self, *, lease_id: uuid.UUID, receivable: Receivable, paid_on: date
    ) -> None:
        """A receivable was paid in full: its year's entitlement grows (or, for a year whose
        claim was already decided, a late claim appears for the difference)."""
        record = await self.repo.get(lease_id, for_update=True)
        if record is None:
            return
        await self.repo.add_receivables([_row(lease_id, receivable)])
        changed = await self.repo.mark(
            lease_id,
            receivable.kind,
            receivable.period,
            fell_due_on=min(receivable.due_on, paid_on),
            paid_on=paid_on,
        )
        if changed:
            await self._accrue(record)

    async def lease_rescheduled(
        self, *, lease_id: uuid.UUID, receivables: Sequence[Receivable]
    ) -> None:
        """The schedule was recomputed (an LPR repricing): receivables not yet paid take their
        new amounts, interest and opening balances; paid ones keep what they earned on."""
        if await self.repo.get(lease_id, for_update=True) is None:
            return
        await self.repo.reschedule([_row(lease_id, r) for r in receivables])

    async def usage_invoiced(
        self, *, lease_id: uuid.UUID, period: int, due_on: date, amount: Decimal
    ) -> None:
        """A service lease's monthly usage invoice: one of its receivables (it earns once
        paid, in the year it falls due)."""
        if amount <= 0 or await self.repo.get(lease_id) is None:
            return
        await self.repo.add_receivables(
            [_row(lease_id, Receivable("usage", period, due_on, amount))]
        )

    async def lease_ended(
        self, *, lease_id: uuid.UUID, ended_on: date, reason: str, aggseq: int
    ) -> None:
        """The lease ended (terminated, bought out, repossessed, written off, returned,
        closed, paid off): nothing falling due after ``ended_on`` earns, the year's claim is
        earned on that day, and an early termination claws back what the lease drew."""
        record = await self.repo.get(lease_id, for_update=True)
        if record is None or record.ended_on is not None:
            return  # never activated (nothing drawn), or already ended (first end wins)
        if reason == "paid_off":
            # paid off early by prepayment: what was scheduled still counts
            last_due = max((r.due_on for r in await self.repo.receivables(lease_id)), default=None)
            ended_on = max(ended_on, last_due) if last_due else ended_on
        record.ended_on = ended_on
        record.end_reason = reason
        record.aggseq = max(record.aggseq, aggseq)
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        await self.claims.claw_back(record.id, record.activated_on, ended_on, reason)
        await self._accrue(record)

    async def participant_changed(self, payload: ParticipantSnapshot, *, aggseq: int) -> None:
        """Catalog registered or changed a participant: keep it, then assess its leases that
        waited for it."""
        await ParticipantDirectory(self.session).project(payload, aggseq=aggseq)
        await self.participant_known(payload.participant_id)

    async def participant_known(self, participant_id: uuid.UUID) -> None:
        """A participant arrived or changed: assess its leases that were waiting for it."""
        for record in await self.repo.unassessed_of(participant_id):
            await self._accrue(record)

    async def _accrue(self, record: LeaseRecord) -> None:
        lessee = await ParticipantDirectory(self.session).lessee(record.participant_id)
        if lessee is None:
            return
        facts = lease_facts(record, await self.repo.receivables(record.id))
        ineligible = await self.claims.accrue_lease_claims(facts, record.id, lessee)
        record.assessed = True
        record.ineligible = [
            {**asdict(i), "policy": i.policy.value, "reason": i.reason.value} for i in ineligible
        ]
        await self.session.flush()
