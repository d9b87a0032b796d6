"""On real Postgres: concurrent approvals against one company's cap never overspend it."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from datapark_subsidy.budgets.models import BudgetEntry, BudgetRow
from datapark_subsidy.claims.models import Claim

pytestmark = pytest.mark.integration
CAP = Decimal("10000000.00")


async def test_100_concurrent_approvals_commit_exactly_min_cap_demand(
    concurrent_subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    subsidy = concurrent_subsidy
    participant = await company("110105", "Concurrent Robotics (Beijing) Co.")
    # 100 leases, each one instalment on 36,000,000 financed at 6 % (interest 180,000.00),
    # rate support 36,000,000 x 5 % / 12 = 150,000.00 entitled; demand 15,000,000 > cap
    for _ in range(100):
        await activate_lease(participant, cost="36000000.00")
    listing = await subsidy.get(
        "/v1/claims",
        params={"participant_id": str(participant), "limit": 200},
        headers=token("reviewer"),
    )
    claims = listing.json()["items"]
    assert len(claims) == 100
    assert {c["entitled"]["amount"] for c in claims} == {"150000.00"}
    demand = Decimal("150000.00") * 100

    reviewer = token("reviewer")
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            subsidy.post(
                f"/v1/claims/{c['id']}/review", json={"decision": "approve"}, headers=reviewer
            )
            for c in claims
        )
    )
    approve_seconds = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * 100, responses[0].text
    outcomes = [r.json() for r in responses]
    granted = sum((Decimal(o["granted"]["amount"]) for o in outcomes), Decimal(0))
    assert granted == min(CAP, demand)
    by_status: dict[str, int] = {}
    for o in outcomes:
        by_status[o["status"]] = by_status.get(o["status"], 0) + 1
    # 66 x 150,000 = 9,900,000; the 67th gets the 100,000 remainder; 33 find nothing left
    assert by_status == {"funds_reserved": 67, "rejected": 33}
    partial = [
        o
        for o in outcomes
        if o["status"] == "funds_reserved" and o["granted"]["amount"] != "150000.00"
    ]
    assert [p["granted"]["amount"] for p in partial] == ["100000.00"]
    assert {o["reason_code"] for o in outcomes if o["status"] == "rejected"} == {"cap_exhausted"}

    reserved = [o for o in outcomes if o["status"] == "funds_reserved"]
    started = time.perf_counter()
    paid = await asyncio.gather(
        *(
            subsidy.post(
                f"/v1/claims/{o['id']}/disburse",
                json={"payment_reference": f"P-{i}"},
                headers=reviewer,
            )
            for i, o in enumerate(reserved)
        )
    )
    disburse_seconds = time.perf_counter() - started
    assert {r.status_code for r in paid} == {200}

    async with subsidy.app.state.database.unit_of_work() as session:
        row = (
            await session.execute(select(BudgetRow).where(BudgetRow.participant_id == participant))
        ).scalar_one()
        entries = (
            await session.execute(
                select(BudgetEntry.op, func.count(), func.sum(BudgetEntry.amount))
                .where(BudgetEntry.budget_id == row.id)
                .group_by(BudgetEntry.op)
            )
        ).all()
    assert (row.cap, row.reserved, row.committed) == (CAP, Decimal("0.00"), CAP)
    assert {op: (n, total) for op, n, total in entries} == {"reserve": (67, CAP), "post": (67, CAP)}
    budgets = await subsidy.get(
        "/v1/budgets", params={"participant_id": str(participant), "year": 2025}, headers=reviewer
    )
    assert budgets.json()["items"][0]["committed"] == {"amount": "10000000.00", "currency": "CNY"}
    assert budgets.json()["items"][0]["remaining"]["amount"] == "0.00"
    print(
        f"\n100 concurrent approvals: {approve_seconds:.2f}s; "
        f"{len(reserved)} concurrent disbursements: {disburse_seconds:.2f}s"
    )


async def test_the_check_constraint_refuses_overspending_even_without_the_service(
    subsidy: Any, company: Any, activate_lease: Any
) -> None:
    participant = await company("110108")
    await activate_lease(participant, cost="1000.00")
    async with subsidy.app.state.database.unit_of_work() as session:
        claim = (
            await session.execute(select(Claim).where(Claim.participant_id == participant))
        ).scalar_one()
        await session.execute(
            text(
                "INSERT INTO subsidy.budgets (id, policy, participant_id, period, cap, "
                "reserved, committed, cap_parameter, cap_effective_from, policy_version, "
                "created_at, updated_at)"
                " VALUES (:id, 'beijing_financing_lease', :p, '2025', 100, 0, 0, 'x', '2025-01-01',"
                " 'v', now(), now())"
            ),
            {"id": uuid.uuid4(), "p": claim.participant_id},
        )
    with pytest.raises(Exception, match="ck_budgets_within_cap"):
        async with subsidy.app.state.database.unit_of_work() as session:
            await session.execute(
                text(
                    "UPDATE subsidy.budgets SET reserved = 60, committed = 41 "
                    "WHERE participant_id = :p"
                ),
                {"p": participant},
            )
