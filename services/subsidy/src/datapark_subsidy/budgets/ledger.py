"""The budget ledger in the database: reserve, post, void and reverse, each exactly once.

Every move locks the budget row, computes the new figures with the pure
:class:`~datapark_subsidy.budgets.balance.Budget`, writes an entry whose idempotency key
(``<claim>:<op>``) makes a repeat a no-op, updates the row conditionally and publishes the
entry on ``subsidy.claims.v1``. The table's ``CHECK (reserved + committed <= cap)`` is the
backstop behind all of it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.subsidy import BudgetEntryRecorded
from datapark_kit.errors import Conflict
from datapark_subsidy.budgets.balance import Budget, LedgerOp
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.budgets.repository import BudgetRepository
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.tables import OUTBOX


def as_budget(row: BudgetRow) -> Budget:
    return Budget(row.cap, row.reserved, row.committed)


class BudgetLedger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = BudgetRepository(session)

    async def record(
        self,
        row: BudgetRow,
        op: LedgerOp,
        amount: Decimal,
        claim_id: uuid.UUID,
        claimant_id: uuid.UUID,
    ) -> bool:
        """Apply one entry to a locked row; False if this claim already made this entry.

        ``claimant_id`` is the company whose claim makes the entry (the row's own company, or
        an applicant under a shared designation budget)."""
        key = f"{claim_id}:{op.value}"
        entry_id = await self.repo.add_entry(row.id, claim_id, op.value, amount, key)
        if entry_id is None:
            return False
        after = as_budget(row).apply(op, amount)
        if not await self.repo.move(row, reserved=after.reserved, committed=after.committed):
            raise Conflict("the budget moved under us", code=SubsidyProblem.BUDGET_CONFLICT)
        await OUTBOX.append(
            self.session,
            BudgetEntryRecorded(
                budget_id=row.id,
                entry_id=entry_id,
                policy=row.policy,
                participant_id=row.participant_id or claimant_id,
                period=row.period,
                op=op.value,
                amount=amount,
                claim_id=claim_id,
                idempotency_key=key,
                cap=row.cap,
                reserved=row.reserved,
                committed=row.committed,
                occurred_at=datetime.now(UTC),
                designation_id=(
                    row.period.removeprefix("designation:") if row.participant_id is None else None
                ),
            ),
        )
        return True
