"""Claims, applications, review, disbursement, clawback and policies over HTTP, on real
Postgres."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from datapark_subsidy.budgets.models import BudgetEntry
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.tables import EVENTING
from datapark_subsidy.terms.parameters import load_parameters

pytestmark = pytest.mark.integration
DOC = {"name": "designation letter.pdf", "sha256": hashlib.sha256(b"letter").hexdigest()}


async def _claims(subsidy: Any, token: Any, participant: uuid.UUID) -> list[dict[str, Any]]:
    response = await subsidy.get(
        "/v1/claims", params={"participant_id": str(participant)}, headers=token("reviewer")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _events_of(subsidy: Any, subject: str) -> list[str]:
    outbox = EVENTING.outbox
    async with subsidy.app.state.database.unit_of_work() as session:
        rows = await session.execute(
            select(outbox.c.event_type)
            .where(outbox.c.subject == subject)
            .order_by(outbox.c.position)
        )
        return [r.event_type.split(".")[3] for r in rows]


async def test_policies_show_dated_parameters_and_their_sources(subsidy: Any, token: Any) -> None:
    response = await subsidy.get("/v1/policies", headers=token("participant"))
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == load_parameters().version
    rate = next(p for p in body["parameters"] if p["name"] == "beijing_financing_lease.rate")
    assert rate["values"] == [{"effective_from": "2025-01-01", "value": "0.05"}]
    assert rate["unit"] == "/1"
    assert any("5%的费率" in r for r in rate["reference"])
    assert {p["code"] for p in body["policies"]} == {
        "beijing_financing_lease",
        "xiongan_robot_leasing",
        "fujian_data_cluster",
        "fujian_data_park",
    }
    assert (await subsidy.get("/v1/policies")).status_code == 401


async def test_a_lease_claim_is_rate_support_explained_and_a_replay_changes_nothing(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    participant = await company("110105")
    lease = await activate_lease(participant, cost="1000000.00", down_payment="100000.00")
    await activate_lease(
        participant, cost="1000000.00", down_payment="100000.00", lease_id=lease
    )  # the same event again
    claims = await _claims(subsidy, token, participant)
    assert len(claims) == 1
    claim = claims[0]
    # one instalment on 900,000.00 at 6 %: interest 4,500.00; rate support is capped at
    # 900,000.00 x 5 % / 12 = 3,750.00 (the old reading promised 45,000.00 at activation)
    assert (claim["policy"], claim["status"], claim["entitled"], claim["earned_on"]) == (
        "beijing_financing_lease",
        "under_review",
        {"amount": "3750.00", "currency": "CNY"},
        "2026-01-01",
    )
    assert claim["lease_id"] == str(lease)

    own = await subsidy.get(
        f"/v1/claims/{claim['id']}", headers=token("participant", participant_id=participant)
    )
    assert own.status_code == 200
    explanation = own.json()["explanation"]
    steps = "\n".join(explanation["steps"])
    assert (
        "installment 1 due 2025-04-01, paid 2025-04-01: min(interest 4500.00 + fees 0.00 = "
        "4500.00, opening balance 900000.00 x 0.05 / 12 = 3750.00) = 3750.00" in steps
    )
    assert "beijing_financing_lease.rate = 0.05 (in force from 2025-01-01)" in steps
    assert "the 2025 entitlement is earned on 2026-01-01 (the end of 2025)" in steps
    assert explanation["policy_version"] == load_parameters().version
    assert {
        "parameter": "beijing_financing_lease.rate",
        "value": "0.05",
        "effective_from": "2025-01-01",
        "unit": "/1",
    } in explanation["parameters"]
    other = await subsidy.get(f"/v1/claims/{claim['id']}", headers=token("participant"))
    assert other.status_code == 404
    assert await _events_of(subsidy, claim["id"]) == ["created"]


async def test_review_is_for_reviewers_and_approving_twice_has_one_effect(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    participant = await company("110108")
    await activate_lease(participant, cost="200000.00")
    claim = (await _claims(subsidy, token, participant))[0]
    url = f"/v1/claims/{claim['id']}/review"
    for who in (token("participant", participant_id=participant), token("operator")):
        refused = await subsidy.post(url, json={"decision": "approve"}, headers=who)
        assert refused.status_code == 403
        assert refused.json()["code"] == "role_required"
    reviewer = token("reviewer")
    first = await subsidy.post(url, json={"decision": "approve"}, headers=reviewer)
    second = await subsidy.post(url, json={"decision": "approve"}, headers=reviewer)
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == second.json()["status"] == "funds_reserved"
    # 200,000.00 financed at 6 %: interest 1,000.00, capped at 200,000 x 5 % / 12 = 833.33
    assert second.json()["granted"]["amount"] == "833.33"
    contradicting = await subsidy.post(
        url, json={"decision": "reject", "reason_code": "other"}, headers=reviewer
    )
    assert contradicting.status_code == 409
    async with subsidy.app.state.database.unit_of_work() as session:
        entries = (
            await session.execute(
                select(func.count())
                .select_from(BudgetEntry)
                .where(BudgetEntry.claim_id == uuid.UUID(claim["id"]))
            )
        ).scalar_one()
    assert entries == 1
    assert await _events_of(subsidy, claim["id"]) == ["created", "reviewed", "funds_reserved"]
    steps = "\n".join(first.json()["explanation"]["steps"])
    assert "beijing_financing_lease.annual_cap = 10000000.00" in steps


async def _designation(subsidy: Any, token: Any, kind: str = "park") -> str:
    response = await subsidy.post(
        "/v1/designations",
        json={
            "kind": kind,
            "name": f"Fuzhou Data Element Park {uuid.uuid4().hex[:8]}",
            "region_code": "350102",
            "designated_on": "2025-11-20",
        },
        headers=token("operator"),
    )
    assert response.status_code == 201, response.text
    designation_id: str = response.json()["id"]
    return designation_id


async def test_fujian_applications_with_reasons_for_refusal(
    subsidy: Any, company: Any, token: Any
) -> None:
    fujian = await company("350102", "Fuzhou Data Park Operator Co.")
    beijing = await company("110105")
    body = {
        "policy": "fujian_data_park",
        "designation_id": await _designation(subsidy, token),
        "applied_on": "2025-12-01",
        "amount": {"amount": "4000000.00", "currency": "CNY"},
        "documents": [DOC],
    }
    operator = token("operator")
    unknown = await subsidy.post(
        "/v1/applications", json={**body, "participant_id": str(uuid.uuid4())}, headers=operator
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_participant"
    wrong_region = await subsidy.post(
        "/v1/applications", json={**body, "participant_id": str(beijing)}, headers=operator
    )
    assert wrong_region.status_code == 422
    assert wrong_region.json()["code"] == "region_not_covered"
    applicant = token("participant", participant_id=fujian)
    too_much = await subsidy.post(
        "/v1/applications",
        json={**body, "amount": {"amount": "5000000.01", "currency": "CNY"}},
        headers=applicant,
    )
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "above_maximum"

    created = await subsidy.post("/v1/applications", json=body, headers=applicant)
    assert created.status_code == 201, created.text
    claim = created.json()
    assert claim["status"] == "submitted"
    assert claim["documents"] == [DOC]
    reviewer = token("reviewer")
    reviewed = await subsidy.post(
        f"/v1/claims/{claim['id']}/review",
        json={
            "decision": "partially_approve",
            "amount": {"amount": "3000000.00", "currency": "CNY"},
        },
        headers=reviewer,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "funds_reserved"
    assert reviewed.json()["granted"]["amount"] == "3000000.00"
    paid = await subsidy.post(
        f"/v1/claims/{claim['id']}/disburse",
        json={"payment_reference": "FJ-2025-0001"},
        headers=reviewer,
    )
    assert paid.json()["status"] == "disbursed"
    reconciled = await subsidy.post(f"/v1/claims/{claim['id']}/reconcile", headers=reviewer)
    assert reconciled.json()["status"] == "reconciled"
    designation = (
        await subsidy.get(f"/v1/designations/{body['designation_id']}", headers=applicant)
    ).json()
    assert [
        (b["period"], b["participant_id"], b["cap"]["amount"], b["committed"]["amount"])
        for b in designation["budgets"]
    ] == [(f"designation:{body['designation_id']}", None, "5000000.00", "3000000.00")]
    assert await _events_of(subsidy, claim["id"]) == [
        "created",
        "submitted",
        "reviewed",
        "funds_reserved",
        "disbursed",
        "reconciled",
    ]


async def test_early_termination_claws_back_and_frees_the_budget(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    participant = await company("110105")
    lease = await activate_lease(participant, cost="100000.00", activated_on=date(2025, 3, 1))
    claim = (await _claims(subsidy, token, participant))[0]
    reviewer = token("reviewer")
    await subsidy.post(
        f"/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=reviewer
    )
    await subsidy.post(
        f"/v1/claims/{claim['id']}/disburse", json={"payment_reference": "B-1"}, headers=reviewer
    )
    async with subsidy.app.state.database.unit_of_work() as session:
        await LeaseService(session, load_parameters()).lease_ended(
            lease_id=lease, ended_on=date(2025, 6, 1), reason="terminated", aggseq=9
        )
    reversed_ = (await subsidy.get(f"/v1/claims/{claim['id']}", headers=reviewer)).json()
    assert reversed_["status"] == "reversed"
    assert "inside, what it drew is clawed back" in "\n".join(reversed_["explanation"]["steps"])
    budget = (
        await subsidy.get(
            "/v1/budgets",
            params={"participant_id": str(participant), "year": 2025},
            headers=reviewer,
        )
    ).json()["items"][0]
    assert (budget["reserved"]["amount"], budget["committed"]["amount"]) == ("0.00", "0.00")
    assert await _events_of(subsidy, claim["id"]) == [
        "created",
        "reviewed",
        "funds_reserved",
        "disbursed",
        "reversed",
    ]


async def test_simulation_with_changed_rates_checked_by_hand(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    beijing = await company("110105")
    xiongan = await company("130632", "Xiong'an Robot Scenes Co.")
    await activate_lease(
        beijing, cost="2000000.00", down_payment="200000.00", activated_on=date(2025, 2, 1)
    )  # P 1,800,000
    await activate_lease(beijing, cost="500000.00", activated_on=date(2026, 2, 1))  # outside
    await activate_lease(
        xiongan,
        mode="long_term",
        cost="0.00",
        activated_on=date(2025, 1, 1),
        payments=[(date(2025, 6, 1), "120000.00"), (date(2026, 1, 1), "50000.00")],
    )
    body = {
        "changes": {
            "beijing_financing_lease.rate": {"2025-01-01": "0.06"},
            "xiongan_robot_leasing.rate": {"2025-01-01": "0.08"},
        },
        "period": {"start": "2025-01-01", "end": "2026-01-01"},
    }
    assert (
        await subsidy.post("/v1/simulations", json=body, headers=token("participant"))
    ).status_code == 403
    response = await subsidy.post("/v1/simulations", json=body, headers=token("reviewer"))
    assert response.status_code == 200, response.text
    result = response.json()
    rows = {r["participant_id"]: r for r in result["companies"]}
    # Beijing: one instalment on 1,800,000 at 6 %, interest 9,000.00; rate support capped at
    # 1,800,000 x 5 % / 12 = 7,500.00 -> at a 6 % ceiling 9,000.00 (all the interest)
    assert rows[str(beijing)]["actual"]["amount"] == "7500.00"
    assert rows[str(beijing)]["simulated"]["amount"] == "9000.00"
    assert rows[str(beijing)]["difference"]["amount"] == "1500.00"
    # Xiong'an: payments due in 2025, 120,000 x 10 % = 12,000.00 -> x 8 % = 9,600.00
    assert rows[str(xiongan)]["actual"]["amount"] == "12000.00"
    assert rows[str(xiongan)]["simulated"]["amount"] == "9600.00"
    assert rows[str(xiongan)]["difference"]["amount"] == "-2400.00"
    assert rows[str(beijing)]["recorded"]["amount"] == "0.00"  # nobody has reviewed yet
    assert result["simulated_version"].startswith(result["base_version"] + "+changed:")
    # nothing real moved
    claims = await _claims(subsidy, token, beijing)
    # 500,000 x 5 % / 12 = 2,083.33 for 2026, earned (and reviewable) only from 2027-01-01
    assert {(c["entitled"]["amount"], c["earned_on"]) for c in claims} == {
        ("7500.00", "2026-01-01"),
        ("2083.33", "2027-01-01"),
    }
    # the earlier reading of the Beijing rate, as data: 1,800,000 x 5 % = 90,000.00 at once
    earlier = await subsidy.post(
        "/v1/simulations",
        headers=token("reviewer"),
        json={
            **body,
            "changes": {"beijing_financing_lease.basis": {"2025-01-01": "financed_principal"}},
        },
    )
    assert earlier.status_code == 200, earlier.text
    rows = {r["participant_id"]: r for r in earlier.json()["companies"]}
    assert rows[str(beijing)]["simulated"]["amount"] == "90000.00"
    assert rows[str(xiongan)]["simulated"]["amount"] == "12000.00"
    bad = await subsidy.post(
        "/v1/simulations",
        headers=token("reviewer"),
        json={**body, "changes": {"beijing_financing_lease.rate": {"2025-01-01": "5"}}},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_parameter"


async def test_a_lease_waits_for_its_lessee_then_gets_its_claim(
    subsidy: Any, token: Any, activate_lease: Any
) -> None:
    from sqlalchemy.dialects.postgresql import insert

    from datapark_subsidy.tables import PARTICIPANTS

    participant = uuid.uuid4()
    await activate_lease(participant, cost="100000.00")
    assert await _claims(subsidy, token, participant) == []
    async with subsidy.app.state.database.unit_of_work() as session:
        await session.execute(
            insert(PARTICIPANTS).values(
                id=participant,
                name="Late Co.",
                kind="company",
                uscc=None,
                region_code="110105",
                operating_region_code=None,
                roles=["participant"],
                park_member=False,
                group_id=None,
                status="active",
                aggseq=1,
                updated_at=func.now(),
            )
        )
        await LeaseService(session, load_parameters()).participant_known(participant)
    claims = await _claims(subsidy, token, participant)
    assert [c["entitled"]["amount"] for c in claims] == ["416.67"]  # 100,000 x 5 % / 12


async def test_a_reservation_not_disbursed_in_time_lapses_and_frees_the_budget(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    from sqlalchemy import update

    from datapark_subsidy.claims.models import Claim
    from datapark_subsidy.claims.sweeper import sweep_once

    participant = await company("110105")
    await activate_lease(participant, cost="100000.00")
    claim = (await _claims(subsidy, token, participant))[0]
    reviewed = await subsidy.post(
        f"/v1/claims/{claim['id']}/review", json={"decision": "approve"}, headers=token("reviewer")
    )
    assert reviewed.json()["status"] == "funds_reserved"
    assert "undisbursed they lapse on" in "\n".join(reviewed.json()["explanation"]["steps"])
    async with subsidy.app.state.database.unit_of_work() as session:
        await session.execute(
            update(Claim)
            .where(Claim.id == uuid.UUID(claim["id"]))
            .values(lapses_on=date(2025, 1, 1))
        )
    assert await sweep_once(subsidy.app.state.database, load_parameters()) >= 1
    expired = (await subsidy.get(f"/v1/claims/{claim['id']}", headers=token("reviewer"))).json()
    assert expired["status"] == "expired"
    budget = (
        await subsidy.get(
            "/v1/budgets", params={"participant_id": str(participant)}, headers=token("reviewer")
        )
    ).json()["items"][0]
    assert (budget["reserved"]["amount"], budget["committed"]["amount"]) == ("0.00", "0.00")
    assert await _events_of(subsidy, claim["id"]) == [
        "created",
        "reviewed",
        "funds_reserved",
        "expired",
    ]


async def test_only_the_applicant_cancels_reviewers_and_auditors_only_read(
    subsidy: Any, company: Any, token: Any
) -> None:
    fujian = await company("350102", "Xiamen Data Cluster Operator Co.")
    applicant = token("participant", participant_id=fujian)
    created = await subsidy.post(
        "/v1/applications",
        json={
            "policy": "fujian_data_park",
            "designation_id": await _designation(subsidy, token),
            "applied_on": "2025-12-01",
            "amount": {"amount": "1000000.00", "currency": "CNY"},
            "documents": [DOC],
        },
        headers=applicant,
    )
    assert created.status_code == 201, created.text
    claim_id = created.json()["id"]
    for role in ("auditor", "reviewer"):
        onlooker = token(role, participant_id=uuid.uuid4())
        assert (await subsidy.get(f"/v1/claims/{claim_id}", headers=onlooker)).status_code == 200
        refused = await subsidy.post(f"/v1/claims/{claim_id}/cancel", headers=onlooker)
        assert refused.status_code == 403, role
    stranger = token("participant", participant_id=uuid.uuid4())
    assert (
        await subsidy.post(f"/v1/claims/{claim_id}/cancel", headers=stranger)
    ).status_code == 404
    assert (await subsidy.get(f"/v1/claims/{claim_id}", headers=applicant)).json()[
        "status"
    ] == "submitted"
    cancelled = await subsidy.post(f"/v1/claims/{claim_id}/cancel", headers=applicant)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


async def test_the_documented_simulation_answers_even_over_a_lease_of_an_unknown_lessee(
    subsidy: Any, token: Any, activate_lease: Any
) -> None:
    # a lease whose lessee subsidy does not know (yet) and that has ended: the what-if once
    # answered 500 (KeyError) on it
    lease = await activate_lease(uuid.uuid4(), cost="100000.00", activated_on=date(2026, 2, 1))
    async with subsidy.app.state.database.unit_of_work() as session:
        await LeaseService(session, load_parameters()).lease_ended(
            lease_id=lease, ended_on=date(2026, 6, 1), reason="bought_out", aggseq=8
        )
    document = (await subsidy.get("/openapi.json")).json()
    operation = document["paths"]["/v1/simulations"]["post"]
    media = operation["requestBody"]["content"]["application/json"]
    example = media.get("example") or next(iter(media["examples"].values()))["value"]
    response = await subsidy.post("/v1/simulations", json=example, headers=token("reviewer"))
    assert response.status_code == 200, response.text
    assert response.json()["period"] == example["period"]

    unknown = await subsidy.post(
        "/v1/simulations",
        json={**example, "changes": {"no_such.parameter": {"2026-01-01": "1"}}},
        headers=token("reviewer"),
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["code"] == "invalid_parameter"
    assert [e["field"] for e in unknown.json()["errors"]] == ["changes.no_such.parameter"]
