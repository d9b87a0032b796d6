"""What-if: replay the recorded rental events through changed parameters (no real claim moves)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.claims.repository import ClaimRepository
from datapark_subsidy.leases.models import LeaseReceivableRecord
from datapark_subsidy.leases.repository import LeaseRepository
from datapark_subsidy.leases.service import lease_facts
from datapark_subsidy.participants.repository import ParticipantDirectory
from datapark_subsidy.simulations.replay import (
    LeaseActivated,
    LeaseEnded,
    ReceivablePaid,
    RentalEvent,
    SimulationResult,
    simulate,
)
from datapark_subsidy.terms.parameters import ParameterSet
from datapark_subsidy.terms.policies import LEASE_POLICIES

_ORDER = {LeaseActivated: 0, ReceivablePaid: 1, LeaseEnded: 2}


class SimulationService:
    def __init__(self, session: AsyncSession, params: ParameterSet) -> None:
        self.session = session
        self.params = params

    async def recorded_events(self) -> list[RentalEvent]:
        """The recorded history of every lease, as events in date order: its activation (with
        its receivables as scheduled, none paid), each payment, its end."""
        repo = LeaseRepository(self.session)
        leases = await repo.all_in_order()
        by_lease: dict[object, list[LeaseReceivableRecord]] = {}
        for row in await repo.all_receivables():
            by_lease.setdefault(row.lease_id, []).append(row)
        events: list[RentalEvent] = []
        for record in leases:
            receivables = by_lease.get(record.id, [])
            facts = lease_facts(record, receivables)
            unpaid = replace(
                facts,
                receivables=tuple(replace(r, paid_on=None) for r in facts.receivables),
                ended_on=None,
                end_reason=None,
            )
            events.append(LeaseActivated(unpaid))
            events.extend(
                ReceivablePaid(str(record.id), r.kind, r.period, r.paid_on)
                for r in receivables
                if r.paid_on is not None
            )
            if record.ended_on is not None:
                events.append(
                    LeaseEnded(str(record.id), record.ended_on, record.end_reason or "terminated")
                )
        # by date; on one day activations first, then payments, then ends (a stable sort
        # keeps the arrival order of leases)
        return sorted(events, key=lambda e: (e.on, _ORDER[type(e)]))

    async def run(
        self, changes: Mapping[str, Mapping[Any, Any]], start: date, end: date
    ) -> tuple[SimulationResult, dict[str, Decimal]]:
        """Per company: what the rules grant now, what they would with ``changes``, and what
        the real claims of the period's years were granted so far."""
        events = await self.recorded_events()
        lessees = await ParticipantDirectory(self.session).all_lessees()
        result = simulate(events, lessees, self.params, changes, start, end)
        last = end.year if (end.month, end.day) == (1, 1) else end.year + 1
        years = [str(y) for y in range(start.year, last)]
        recorded = await ClaimRepository(self.session).granted_by_company(
            [p.code.value for p in LEASE_POLICIES], years
        )
        return result, {str(pid): total for pid, total in recorded.items()}
