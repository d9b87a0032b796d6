"""All SQL about budget rows and ledger entries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.ids import uuid7
from datapark_kit.db import bound_insert, constant_statement, table_of
from datapark_subsidy.budgets.models import BudgetEntry, BudgetRow

_BUDGETS = table_of(BudgetRow)
_ENTRIES = table_of(BudgetEntry)
_NEW_BUDGET = bound_insert(_BUDGETS)
# A budget row created on first use, if not there yet: one statement for a company's budget,
# one for a designation's shared budget (participant_id NULL, its own partial unique index).
# Constant text, compiled once per process (a postgresql.insert has no cache key; #14).
_CREATE_COMPANY_BUDGET = constant_statement(
    _NEW_BUDGET.on_conflict_do_nothing(
        index_elements=["policy", "participant_id", "period"],
        index_where=_BUDGETS.c.participant_id.is_not(None),
    )
)
_CREATE_SHARED_BUDGET = constant_statement(
    _NEW_BUDGET.on_conflict_do_nothing(
        index_elements=["policy", "period"], index_where=_BUDGETS.c.participant_id.is_(None)
    )
)
_ADD_ENTRY = constant_statement(
    bound_insert(_ENTRIES)
    .on_conflict_do_nothing(constraint="uq_budget_entries_idempotency_key")
    .returning(_ENTRIES.c.id)
)


class BudgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def locked_row(
        self,
        *,
        policy: str,
        participant_id: uuid.UUID | None,
        period: str,
        cap: Decimal,
        cap_parameter: str,
        cap_effective_from: str,
        policy_version: str,
    ) -> BudgetRow:
        """The budget row, created on first use, locked for the rest of the transaction."""
        now = datetime.now(UTC)
        await self.session.execute(
            _CREATE_SHARED_BUDGET if participant_id is None else _CREATE_COMPANY_BUDGET,
            {
                "id": uuid7(),
                "policy": policy,
                "participant_id": participant_id,
                "period": period,
                "cap": cap,
                "reserved": Decimal(0),
                "committed": Decimal(0),
                "cap_parameter": cap_parameter,
                "cap_effective_from": cap_effective_from,
                "policy_version": policy_version,
                "created_at": now,
                "updated_at": now,
            },
        )
        holder = (
            BudgetRow.participant_id.is_(None)
            if participant_id is None
            else BudgetRow.participant_id == participant_id
        )
        query = (
            select(BudgetRow)
            .where(BudgetRow.policy == policy, holder, BudgetRow.period == period)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalar_one()

    async def get_locked(
        self, policy: str, participant_id: uuid.UUID, period: str
    ) -> BudgetRow | None:
        query = (
            select(BudgetRow)
            .where(
                BudgetRow.policy == policy,
                BudgetRow.participant_id == participant_id,
                BudgetRow.period == period,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_entry(
        self, budget_id: uuid.UUID, claim_id: uuid.UUID, op: str, amount: Decimal, key: str
    ) -> uuid.UUID | None:
        """Insert a ledger entry; ``None`` if its idempotency key was already used."""
        inserted = await self.session.execute(
            _ADD_ENTRY,
            {
                "id": uuid7(),
                "budget_id": budget_id,
                "claim_id": claim_id,
                "op": op,
                "amount": amount,
                "idempotency_key": key,
                "created_at": datetime.now(UTC),
            },
        )
        return inserted.scalar_one_or_none()

    async def move(self, row: BudgetRow, *, reserved: Decimal, committed: Decimal) -> bool:
        """Set the row's figures, conditionally: only if they still fit the cap.

        The row is locked already; the WHERE clause (and the table's CHECK) make overspending
        impossible even if a caller forgot the lock.
        """
        result = await self.session.execute(
            update(BudgetRow)
            .where(BudgetRow.id == row.id, BudgetRow.cap >= reserved + committed)
            .values(reserved=reserved, committed=committed, updated_at=datetime.now(UTC))
            .returning(BudgetRow.id)
            .execution_options(synchronize_session=False)
        )
        if result.scalar_one_or_none() is None:
            return False
        row.reserved, row.committed = reserved, committed
        return True

    async def shared(self, period: str) -> list[BudgetRow]:
        """The budget rows shared under a designation (``designation:<id>``)."""
        query = select(BudgetRow).where(
            BudgetRow.participant_id.is_(None), BudgetRow.period == period
        )
        return list((await self.session.execute(query.order_by(BudgetRow.policy))).scalars())

    async def for_participant(
        self, participant_id: uuid.UUID, period: str | None
    ) -> list[BudgetRow]:
        query = select(BudgetRow).where(BudgetRow.participant_id == participant_id)
        if period is not None:
            query = query.where(BudgetRow.period == period)
        return list((await self.session.execute(query.order_by(BudgetRow.policy))).scalars())
