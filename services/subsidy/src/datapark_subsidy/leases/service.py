"""The lease projection and what subsidy does when a lease starts or ends early.

Rental's facts arrive through the inbox (a duplicate never reaches us); the projection is
idempotent by state as well (``aggseq`` guard, ``assessed`` flag under a row lock, unique
claim per lease, policy, period and basis), so replays never make a second claim. A lease whose
lessee subsidy does not know yet waits, unassessed, until the participant arrives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.claims.service import ClaimService
from datapark_subsidy.facts import LeaseFacts, Payment
from datapark_subsidy.leases.models import LeaseRecord
from datapark_subsidy.leases.repository import LeaseRepository
from datapark_subsidy.participants import ParticipantDirectory
from datapark_subsidy.policies import ParameterSet


def lease_facts(record: LeaseRecord) -> LeaseFacts:
    return LeaseFacts(
        lease_id=str(record.id),
        participant_id=str(record.participant_id),
        mode=record.mode,
        equipment_category=record.equipment_category,
        cost=record.cost,
        down_payment=record.down_payment,
        activated_on=record.activated_on,
        payments=tuple(Payment(date.fromisoformat(d), Decimal(a)) for d, a in record.payments),
    )


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
        payments: Sequence[tuple[date, Decimal]],
        aggseq: int,
    ) -> None:
        await self.repo.upsert(
            lease_id,
            {
                "participant_id": participant_id,
                "mode": mode,
                "equipment_category": equipment_category,
                "cost": cost,
                "down_payment": down_payment,
                "activated_on": activated_on,
                "payments": [[d.isoformat(), f"{a:.2f}"] for d, a in payments],
                "aggseq": aggseq,
                "updated_at": datetime.now(UTC),
            },
        )
        record = await self.repo.get(lease_id, for_update=True)
        if record is not None:
            await self._assess(record)

    async def lease_terminated(
        self, *, lease_id: uuid.UUID, terminated_on: date, aggseq: int
    ) -> None:
        record = await self.repo.get(lease_id, for_update=True)
        if record is None or record.terminated_on is not None:
            return  # never activated (nothing drawn), or already handled
        record.terminated_on = terminated_on
        record.aggseq = max(record.aggseq, aggseq)
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        await self.claims.claw_back(record.id, record.activated_on, terminated_on)

    async def usage_invoiced(
        self, *, lease_id: uuid.UUID, month: str, due_on: date, amount: Decimal
    ) -> None:
        """A service lease's monthly usage invoice: its payments are these invoices, so each
        one may earn a (Xiong'an) claim for the year it falls due in."""
        record = await self.repo.get(lease_id, for_update=True)
        if record is None or amount <= 0:
            return  # a lease subsidy never saw activated draws nothing
        payment = [due_on.isoformat(), f"{amount:.2f}"]
        if payment not in record.payments:
            record.payments = [*record.payments, payment]
            record.updated_at = datetime.now(UTC)
            await self.session.flush()
        if not record.assessed:
            return  # the assessment, once the lessee is known, counts every payment
        lessee = await ParticipantDirectory(self.session).lessee(record.participant_id)
        if lessee is None:
            return
        invoice = replace(lease_facts(record), payments=(Payment(due_on, amount),))
        await self.claims.open_lease_claims(invoice, record.id, lessee, basis=f"usage:{month}")

    async def participant_known(self, participant_id: uuid.UUID) -> None:
        """A participant arrived or changed: assess its leases that were waiting for it."""
        for record in await self.repo.unassessed_of(participant_id):
            await self._assess(record)

    async def _assess(self, record: LeaseRecord) -> None:
        if record.assessed:
            return
        lessee = await ParticipantDirectory(self.session).lessee(record.participant_id)
        if lessee is None:
            return
        ineligible = await self.claims.open_lease_claims(lease_facts(record), record.id, lessee)
        record.assessed = True
        record.ineligible = [
            {**asdict(i), "policy": i.policy.value, "reason": i.reason.value} for i in ineligible
        ]
        await self.session.flush()
