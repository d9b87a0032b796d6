"""Migration 0007: designation codes typed before designations were records become records.

On a scratch database migrated to 0006, applications hold free-text codes (as the code before
0005 wrote them) with the per-company budget rows of that time; after the upgrade every claim
names a designation record by id (a UUID column with a foreign key), its period and budget
follow, and two companies' rows under one code become the one shared row a designation has.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from support.scratch_database import alembic, scratch_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def at_0006() -> AsyncIterator[str]:
    async with scratch_database(["subsidy"], revision="0006_subsidy_audit_reader") as url:
        yield url


NOW = datetime(2026, 11, 30, 11, 55, tzinfo=UTC)


async def _participant(conn: AsyncConnection, region: str) -> uuid.UUID:
    participant = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO subsidy.participants (id, name, kind, region_code, roles, park_member,"
            " status, aggseq, updated_at) VALUES (:id, 'Data Co.', 'company', :region,"
            " ARRAY['participant'], false, 'active', 1, :now)"
        ),
        {"id": participant, "region": region, "now": NOW},
    )
    return participant


async def _application(
    conn: AsyncConnection, who: uuid.UUID, code: str, applied_on: date, granted: str
) -> uuid.UUID:
    claim = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO subsidy.claims (id, policy, participant_id, designation_id, period,"
            " earned_on, status, entitled, granted, policy_version, explanation, documents,"
            " version, created_at, updated_at, basis) VALUES (:id, 'fujian_data_park', :who,"
            " :code, :period, :on, 'disbursed', :granted, :granted, 'sha256:old', '{}', '[]',"
            " 1, :now, :now, 'application')"
        ),
        {
            "id": claim,
            "who": who,
            "code": code,
            "period": f"designation:{code}",
            "on": applied_on,
            "granted": Decimal(granted),
            # an application was made on the day it names: the migration's "first applicant"
            # is the earliest made (rows made in the same instant would tie on a random id)
            "now": datetime.combine(applied_on, datetime.min.time(), UTC),
        },
    )
    budget = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO subsidy.budgets (id, policy, participant_id, period, cap, reserved,"
            " committed, cap_parameter, cap_effective_from, policy_version, created_at,"
            " updated_at) VALUES (:id, 'fujian_data_park', :who, :period, 5000000, 0, :granted,"
            " 'fujian_data_park.max_per_designation', '2025-01-01', 'sha256:old', :now, :now)"
        ),
        {
            "id": budget,
            "who": who,
            "period": f"designation:{code}",
            "granted": Decimal(granted),
            "now": NOW,
        },
    )
    await conn.execute(
        text(
            "INSERT INTO subsidy.budget_entries (id, budget_id, claim_id, op, amount,"
            " idempotency_key, created_at) VALUES (:id, :budget, :claim, 'post', :granted,"
            " :key, :now)"
        ),
        {
            "id": uuid.uuid4(),
            "budget": budget,
            "claim": claim,
            "granted": Decimal(granted),
            "key": f"post:{claim}",
            "now": NOW,
        },
    )
    return claim


async def test_designation_codes_become_records_and_claims_name_them_by_id(at_0006: str) -> None:
    engine = create_async_engine(at_0006)
    try:
        async with engine.begin() as conn:
            fuzhou = await _participant(conn, "350102")
            beijing = await _participant(conn, "110105")  # applied from outside Fujian
            first = await _application(conn, fuzhou, "FJ-P-16c68a", date(2025, 12, 1), "3000000")
            second = await _application(conn, beijing, "FJ-P-16c68a", date(2025, 12, 5), "1500000")
            other = await _application(conn, fuzhou, "FJ-P-d6b8e4", date(2025, 11, 3), "100")
        await alembic(at_0006, "subsidy", "upgrade", "head")
        async with engine.connect() as conn:
            designations = {
                r.name: r
                for r in await conn.execute(
                    text(
                        "SELECT id, kind, name, region_code, designated_on, recorded_by"
                        " FROM subsidy.designations"
                    )
                )
            }
            claims = {
                r.id: r
                for r in await conn.execute(
                    text("SELECT id, designation_id, period FROM subsidy.claims")
                )
            }
            budgets = (
                await conn.execute(
                    text(
                        "SELECT participant_id, period, cap, reserved, committed,"
                        " (SELECT count(*) FROM subsidy.budget_entries e WHERE e.budget_id = b.id)"
                        " AS entries FROM subsidy.budgets b ORDER BY committed DESC"
                    )
                )
            ).all()
            column = (
                await conn.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE table_schema ="
                        " 'subsidy' AND table_name = 'claims' AND column_name = 'designation_id'"
                    )
                )
            ).scalar_one()
    finally:
        await engine.dispose()

    park = designations["FJ-P-16c68a"]
    assert (park.kind, park.region_code, park.designated_on, park.recorded_by) == (
        "park",
        "350102",  # the first applicant's division
        date(2025, 12, 1),  # the first application: none precedes its designation
        fuzhou,
    )
    assert designations["FJ-P-d6b8e4"].designated_on == date(2025, 11, 3)
    assert column == "uuid"
    assert claims[first].designation_id == claims[second].designation_id == park.id
    assert claims[first].period == f"designation:{park.id}"
    assert claims[other].designation_id == designations["FJ-P-d6b8e4"].id
    # one shared row per designation now: both companies' draws on it, their entries kept
    assert [tuple(b) for b in budgets] == [
        (None, f"designation:{park.id}", Decimal("5000000.00"), 0, Decimal("4500000.00"), 2),
        (None, f"designation:{designations['FJ-P-d6b8e4'].id}", 5000000, 0, 100, 1),
    ]


async def test_the_downgrade_returns_the_column_to_text_holding_the_ids(at_0006: str) -> None:
    engine = create_async_engine(at_0006)
    try:
        async with engine.begin() as conn:
            who = await _participant(conn, "350102")
            await _application(conn, who, "FJ-P-0a1b2c", date(2025, 12, 1), "100")
        await alembic(at_0006, "subsidy", "upgrade", "head")
        await alembic(at_0006, "subsidy", "downgrade", "0006_subsidy_audit_reader")
        async with engine.connect() as conn:
            kept = (
                await conn.execute(
                    text(
                        "SELECT c.designation_id = d.id::text FROM subsidy.claims c"
                        " JOIN subsidy.designations d ON d.name = 'FJ-P-0a1b2c'"
                    )
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert kept is True
