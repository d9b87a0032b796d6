"""All SQL about the lease projection and its receivables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.db import (
    bound_insert,
    constant_statement,
    newer_row_upsert,
    table_of,
    unnest_insert,
)
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord

_RECEIVABLES = table_of(LeaseReceivableRecord)
# A lease's receivables in one statement whatever their number: compiled once, prepared once
# per connection (the multi-row VALUES it replaced was 29 % of subsidy's CPU per lease under
# bench/lease_claim.py; bench/lease_receivables.py times it beside the alternatives).
_ADD_RECEIVABLES = unnest_insert(_RECEIVABLES)
_LEASES = table_of(LeaseRecord)
# Written when a lease is first recorded only; an upsert of a known lease leaves them.
_FIRST_RECORDED = ("assessed", "ineligible")
_NEW_TERMS = bound_insert(_RECEIVABLES)
# Constant text (constant_statement): a postgresql.insert(...) has no cache key and was
# compiled again on every call (#14).
_RESCHEDULE = constant_statement(
    _NEW_TERMS.on_conflict_do_update(
        index_elements=[_RECEIVABLES.c.lease_id, _RECEIVABLES.c.kind, _RECEIVABLES.c.period],
        set_={
            "due_on": _NEW_TERMS.excluded.due_on,
            "amount": _NEW_TERMS.excluded.amount,
            "interest": _NEW_TERMS.excluded.interest,
            "fees": _NEW_TERMS.excluded.fees,
            "opening_balance": _NEW_TERMS.excluded.opening_balance,
        },
        where=_RECEIVABLES.c.paid_on.is_(None),
    )
)


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, lease_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Insert or refresh a lease; an older event (lower aggseq) never overwrites a newer.

        One constant statement per set of columns, compiled once per process
        (``newer_row_upsert``; #14)."""
        statement = newer_row_upsert(_LEASES, tuple(values), insert_only=_FIRST_RECORDED)
        await self.session.execute(
            statement, {"id": lease_id, "assessed": False, "ineligible": [], **values}
        )

    async def add_receivables(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert receivables that are not known yet; what is known (and paid) stays."""
        if rows:
            columns = {column.name: [row[column.name] for row in rows] for column in _RECEIVABLES.c}
            await self.session.execute(_ADD_RECEIVABLES, columns)

    async def reschedule(self, rows: Sequence[dict[str, Any]]) -> None:
        """New terms for receivables not paid yet (unknown ones are added): one single-row
        statement executed for the rows (asyncpg executemany, one round trip), compiled once per
        process whatever the number of rows. Every row gives every column."""
        if rows:
            await self.session.execute(_RESCHEDULE, list(rows))

    async def mark(
        self,
        lease_id: uuid.UUID,
        kind: str,
        period: int,
        *,
        fell_due_on: date | None = None,
        paid_on: date | None = None,
    ) -> bool:
        """Record that a receivable fell due or was paid (the first date stays); True if it
        changed."""
        row = LeaseReceivableRecord
        key = (row.lease_id == lease_id, row.kind == kind, row.period == period)
        changed = False
        if fell_due_on is not None:
            done = await self.session.execute(
                update(row)
                .where(*key, row.fell_due_on.is_(None))
                .values(fell_due_on=fell_due_on)
                .returning(row.period)
            )
            changed |= done.first() is not None
        if paid_on is not None:
            done = await self.session.execute(
                update(row)
                .where(*key, row.paid_on.is_(None))
                .values(paid_on=paid_on)
                .returning(row.period)
            )
            changed |= done.first() is not None
        return changed

    async def receivables(self, lease_id: uuid.UUID) -> list[LeaseReceivableRecord]:
        query = (
            select(LeaseReceivableRecord)
            .where(LeaseReceivableRecord.lease_id == lease_id)
            .order_by(
                LeaseReceivableRecord.due_on,
                LeaseReceivableRecord.kind,
                LeaseReceivableRecord.period,
            )
            .execution_options(populate_existing=True)
        )
        return list((await self.session.execute(query)).scalars())

    async def all_receivables(self) -> list[LeaseReceivableRecord]:
        query = select(LeaseReceivableRecord).order_by(
            LeaseReceivableRecord.lease_id, LeaseReceivableRecord.due_on
        )
        return list((await self.session.execute(query)).scalars())

    async def get(self, lease_id: uuid.UUID, *, for_update: bool = False) -> LeaseRecord | None:
        query = select(LeaseRecord).where(LeaseRecord.id == lease_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def unassessed_of(self, participant_id: uuid.UUID) -> list[LeaseRecord]:
        query = (
            select(LeaseRecord)
            .where(LeaseRecord.participant_id == participant_id, LeaseRecord.assessed.is_(False))
            .order_by(LeaseRecord.recorded)
            .with_for_update()
        )
        return list((await self.session.execute(query)).scalars())

    async def all_in_order(self) -> list[LeaseRecord]:
        query = select(LeaseRecord).order_by(LeaseRecord.recorded)
        return list((await self.session.execute(query)).scalars())
