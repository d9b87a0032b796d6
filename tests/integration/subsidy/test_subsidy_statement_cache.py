"""Subsidy's insert-if-absent statements on the lease -> claim path are constant text (#14):
a lease's claim, a budget row created on first use (a company's and a designation's shared
one) and a budget ledger entry each hit SQLAlchemy's compiled cache after their first run,
and still insert once: the second attempt with the same key inserts nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from support.statement_cache import assert_compiled_once, cache_outcomes

from datapark_contracts.ids import uuid7
from datapark_kit.db import Database
from datapark_subsidy.budgets.models import BudgetEntry, BudgetRow
from datapark_subsidy.budgets.repository import BudgetRepository
from datapark_subsidy.claims.repository import ClaimRepository

pytestmark = pytest.mark.integration


def _claim(lease_id: uuid.UUID, period: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": uuid7(),
        "policy": "test-statement-cache",
        "participant_id": uuid.uuid4(),
        "lease_id": lease_id,
        "designation_id": None,
        "period": period,
        "basis": "schedule",
        "earned_on": date(2026, 11, 30),
        "status": "draft",
        "entitled": Decimal("1234.56"),
        "granted": None,
        "reason_code": None,
        "policy_version": "v1",
        "explanation": {"steps": [], "note": None},
        "documents": [],
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


async def test_a_lease_claim_is_inserted_once_by_a_statement_compiled_once(
    database: Database,
) -> None:
    lease_id = uuid.uuid4()
    first, again, other = (
        _claim(lease_id, "2026"),
        _claim(lease_id, "2026"),
        _claim(lease_id, "2027"),
    )
    with cache_outcomes(database) as seen:
        async with database.unit_of_work() as session:
            repo = ClaimRepository(session)
            added = [await repo.add_for_lease(values) for values in (first, again, other)]
    assert added == [True, False, True]
    assert_compiled_once(seen, "INSERT INTO subsidy.claims ", 3)
    async with database.unit_of_work() as session:
        claims = await ClaimRepository(session).for_lease(lease_id)
        assert sorted(c.id for c in claims) == sorted([first["id"], other["id"]])
        stored = next(c for c in claims if c.id == first["id"])
        assert (stored.entitled, stored.granted, stored.explanation) == (
            Decimal("1234.56"),
            None,
            {"steps": [], "note": None},
        )


async def test_budget_rows_and_entries_are_inserted_once_by_statements_compiled_once(
    database: Database,
) -> None:
    policy, company = f"test-{uuid.uuid4().hex[:12]}", uuid.uuid4()
    terms: dict[str, Any] = {
        "period": "2026",
        "cap": Decimal("1000.00"),
        "cap_parameter": "cap",
        "cap_effective_from": "2026-01-01",
        "policy_version": "v1",
    }
    claim_id = uuid.uuid4()
    with cache_outcomes(database) as seen:
        async with database.unit_of_work() as session:
            repo = BudgetRepository(session)
            rows = [
                await repo.locked_row(policy=policy, participant_id=who, **terms)
                for who in (company, company, None, None, company)
            ]
            entries = [
                await repo.add_entry(rows[0].id, claim_id, "reserve", Decimal("10.00"), key)
                for key in (f"{policy}-1", f"{policy}-1", f"{policy}-2")
            ]
    assert len({rows[0].id, rows[1].id, rows[4].id}) == 1  # one company row, found again
    assert rows[2].id == rows[3].id != rows[0].id  # one shared row
    assert (rows[2].participant_id, rows[2].cap, rows[2].reserved) == (None, Decimal("1000.00"), 0)
    assert [entry is not None for entry in entries] == [True, False, True]
    assert_compiled_once(seen, "WHERE participant_id IS NOT NULL DO NOTHING", 3)
    assert_compiled_once(seen, "WHERE participant_id IS NULL DO NOTHING", 2)
    assert_compiled_once(seen, "INSERT INTO subsidy.budget_entries ", 3)
    async with database.unit_of_work() as session:
        count = select(func.count()).select_from(BudgetRow).where(BudgetRow.policy == policy)
        assert (await session.execute(count)).scalar_one() == 2
        amounts = select(BudgetEntry.amount).where(BudgetEntry.claim_id == claim_id)
        assert list((await session.execute(amounts)).scalars()) == [Decimal("10.00")] * 2
