"""What-if: replay the recorded rental events through changed parameters (no real claim moves)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.claims.repository import ClaimRepository
from datapark_subsidy.leases.repository import LeaseRepository
from datapark_subsidy.leases.service import lease_facts
from datapark_subsidy.participants import ParticipantDirectory
from datapark_subsidy.policies import LEASE_POLICIES, ParameterSet
from datapark_subsidy.simulation import (
    LeaseActivated,
    LeaseTerminated,
    RentalEvent,
    SimulationResult,
    simulate,
)


class SimulationService:
    def __init__(self, session: AsyncSession, params: ParameterSet) -> None:
        self.session = session
        self.params = params

    async def run(
        self, changes: Mapping[str, Mapping[Any, Any]], start: date, end: date
    ) -> tuple[SimulationResult, dict[str, Decimal]]:
        """Per company: what the rules grant now, what they would with ``changes``, and what
        the real claims of the period were granted so far."""
        leases = await LeaseRepository(self.session).all_in_order()
        activations: list[RentalEvent] = [LeaseActivated(lease_facts(r)) for r in leases]
        terminations: list[RentalEvent] = [
            LeaseTerminated(str(r.id), r.terminated_on) for r in leases if r.terminated_on
        ]
        # activations in arrival order; each termination after everything up to its day
        events = sorted(
            [*activations, *terminations], key=lambda e: (e.on, isinstance(e, LeaseTerminated))
        )
        lessees = await ParticipantDirectory(self.session).all_lessees()
        result = simulate(events, lessees, self.params, changes, start, end)
        recorded = await ClaimRepository(self.session).granted_by_company(
            [p.code.value for p in LEASE_POLICIES], start, end
        )
        return result, {str(pid): total for pid, total in recorded.items()}
