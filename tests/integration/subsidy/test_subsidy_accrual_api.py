"""Earned, not promised, and designations as records, over HTTP on real Postgres: a claim is
not reviewed or paid before it is earned (409 naming the date); a late payment of a decided
year opens a late claim; a lease's end makes its year reviewable; designations are kept by
operators, validated field by field, and two applicants under one park share its cap."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from datapark_subsidy.claims.models import Claim
from datapark_subsidy.designations.models import DesignationRecord
from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.tables import EVENTING
from datapark_subsidy.terms.assessment import Receivable
from datapark_subsidy.terms.parameters import load_parameters

pytestmark = pytest.mark.integration
DOC = {"name": "designation letter.pdf", "sha256": hashlib.sha256(b"letter").hexdigest()}


async def _claims_of(subsidy: Any, lease_id: uuid.UUID) -> list[Claim]:
    async with subsidy.app.state.database.unit_of_work() as session:
        query = select(Claim).where(Claim.lease_id == lease_id).order_by(Claim.period, Claim.id)
        return list((await session.execute(query)).scalars())


async def _outbox_count(subsidy: Any) -> int:
    async with subsidy.app.state.database.unit_of_work() as session:
        return int(
            (await session.execute(select(func.count()).select_from(EVENTING.outbox))).scalar_one()
        )


async def test_a_claim_is_not_reviewed_or_paid_before_it_is_earned(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    participant = await company("130632", "Xiong'an Robot Scenes Co.")
    today = date.today()
    # a long-term rental paying 20,000.00 this year: the year's claim is earned on 1 January
    lease = await activate_lease(
        participant,
        mode="long_term",
        cost="0.00",
        activated_on=date(today.year, 1, 1),
        payments=[(date(today.year, 1, 2), "20000.00")],
    )
    (claim,) = await _claims_of(subsidy, lease)
    next_year = date(today.year + 1, 1, 1)
    assert (claim.period, claim.entitled, claim.earned_on, claim.status) == (
        str(today.year),
        Decimal("2000.00"),
        next_year,
        "under_review",
    )
    before = await _outbox_count(subsidy)
    reviewer = token("reviewer")
    for action, body in (
        ("review", {"decision": "approve"}),
        ("review", {"decision": "reject", "reason_code": "other"}),
        ("disburse", {"payment_reference": "XA-1"}),
    ):
        refused = await subsidy.post(f"/v1/claims/{claim.id}/{action}", json=body, headers=reviewer)
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["code"] == "not_yet_earned"
        assert problem["earned_on"] == next_year.isoformat()
        assert next_year.isoformat() in problem["detail"]
    assert await _outbox_count(subsidy) == before  # nothing written on refusal
    (unchanged,) = await _claims_of(subsidy, lease)
    assert (unchanged.status, unchanged.version) == ("under_review", claim.version)

    # the rental is returned today: the year's claim is earned now and can be reviewed
    async with subsidy.app.state.database.unit_of_work() as session:
        await LeaseService(session, load_parameters()).lease_ended(
            lease_id=lease, ended_on=today, reason="returned", aggseq=9
        )
    (ended,) = await _claims_of(subsidy, lease)
    assert ended.earned_on == today
    assert "the lease ended (returned)" in "\n".join(ended.explanation["steps"])
    approved = await subsidy.post(
        f"/v1/claims/{claim.id}/review", json={"decision": "approve"}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["granted"]["amount"] == "2000.00"


async def test_a_year_grows_as_paid_and_a_payment_after_the_decision_opens_a_late_claim(
    subsidy: Any, company: Any, token: Any, activate_lease: Any
) -> None:
    participant = await company("130629", "Rongcheng Logistics Robots Co.")
    payments = [(date(2025, 11, 1), "30000.00"), (date(2025, 12, 1), "30000.00")]
    lease = await activate_lease(
        participant,
        mode="long_term",
        cost="0.00",
        activated_on=date(2025, 10, 1),
        payments=payments,
        paid=False,
    )
    assert await _claims_of(subsidy, lease) == []  # activation promises nothing

    async def pay(period: int, on: date) -> None:
        due, amount = payments[period - 1]
        async with subsidy.app.state.database.unit_of_work() as session:
            await LeaseService(session, load_parameters()).receivable_paid(
                lease_id=lease,
                receivable=Receivable("installment", period, due, Decimal(amount)),
                paid_on=on,
            )

    await pay(1, date(2025, 11, 1))
    (claim,) = await _claims_of(subsidy, lease)
    assert (claim.entitled, claim.basis) == (Decimal("3000.00"), "schedule")
    await pay(1, date(2025, 11, 1))  # the same payment again: nothing changes
    assert [c.version for c in await _claims_of(subsidy, lease)] == [claim.version]
    reviewed = await subsidy.post(
        f"/v1/claims/{claim.id}/review", json={"decision": "approve"}, headers=token("reviewer")
    )
    assert reviewed.json()["status"] == "funds_reserved"
    # December's instalment is paid after 2025's claim was decided: a late claim for it
    await pay(2, date(2026, 1, 20))
    claims = await _claims_of(subsidy, lease)
    assert sorted((c.basis, c.entitled, c.status) for c in claims) == [
        ("late:2", Decimal("3000.00"), "under_review"),
        ("schedule", Decimal("3000.00"), "funds_reserved"),
    ]
    late = next(c for c in claims if c.basis == "late:2")
    assert "already claimed for 2025: 3000.00; this claim: 3000.00" in "\n".join(
        late.explanation["steps"]
    )


async def test_designations_are_operator_records_validated_field_by_field(
    subsidy: Any, token: Any
) -> None:
    good = {
        "kind": "park",
        "name": f"Pingtan Data Element Park {uuid.uuid4().hex[:6]}",
        "region_code": "350128",
        "designated_on": "2025-11-20",
    }
    for role in ("participant", "reviewer", "auditor"):
        refused = await subsidy.post("/v1/designations", json=good, headers=token(role))
        assert refused.status_code == 403, role
    assert (await subsidy.post("/v1/designations", json=good)).status_code == 401

    async with subsidy.app.state.database.unit_of_work() as session:
        rows_before = (
            await session.execute(select(func.count()).select_from(DesignationRecord))
        ).scalar_one()
    events_before = await _outbox_count(subsidy)
    operator = token("operator")
    changes: list[tuple[dict[str, Any], str]] = [
        ({"kind": "zone"}, "kind"),
        ({"name": "   "}, "name"),
        ({"region_code": "35012"}, "region_code"),
        ({"region_code": "110105"}, "region_code"),  # Beijing is not in Fujian
        ({"designated_on": "2999-01-01"}, "designated_on"),
        ({"designated_on": "2025-10-31"}, "designated_on"),  # before the policy's maximum
        ({"extra": 1}, "extra"),
    ]
    for change, field in changes:
        refused = await subsidy.post("/v1/designations", json={**good, **change}, headers=operator)
        assert refused.status_code == 422, (change, refused.text)
        assert field in str(refused.json()), (change, refused.json())
    async with subsidy.app.state.database.unit_of_work() as session:
        rows_after = (
            await session.execute(select(func.count()).select_from(DesignationRecord))
        ).scalar_one()
    assert rows_after == rows_before
    assert await _outbox_count(subsidy) == events_before

    created = await subsidy.post("/v1/designations", json=good, headers=operator)
    assert created.status_code == 201, created.text
    record = created.json()
    assert {k: record[k] for k in good} == good
    again = await subsidy.post("/v1/designations", json=good, headers=operator)
    assert again.status_code == 409
    assert again.json()["code"] == "designation_exists"
    read = await subsidy.get(f"/v1/designations/{record['id']}", headers=token("participant"))
    assert read.status_code == 200
    assert read.json()["budgets"] == []
    outbox = EVENTING.outbox
    async with subsidy.app.state.database.unit_of_work() as session:
        types = (
            await session.execute(
                select(outbox.c.event_type).where(outbox.c.subject == record["id"])
            )
        ).scalars()
        assert list(types) == ["datapark.subsidy.designation.recorded.v1"]
    listed = await subsidy.get("/v1/designations", params={"limit": 200}, headers=operator)
    assert record["id"] in {d["id"] for d in listed.json()["items"]}


async def test_two_companies_under_one_park_share_its_5_000_000(
    subsidy: Any, company: Any, token: Any
) -> None:
    operator_co = await company("350121", "Binhai Park Operations Co.")
    developer_co = await company("350102", "Binhai Park Development Co.")
    created = await subsidy.post(
        "/v1/designations",
        json={
            "kind": "park",
            "name": f"Fuzhou Binhai Data Element Park {uuid.uuid4().hex[:6]}",
            "region_code": "350121",
            "designated_on": "2025-11-20",
        },
        headers=token("operator"),
    )
    designation = created.json()["id"]
    reviewer = token("reviewer")
    granted = []
    for who, amount in ((operator_co, "3000000.00"), (developer_co, "2500000.00")):
        applied = await subsidy.post(
            "/v1/applications",
            json={
                "policy": "fujian_data_park",
                "designation_id": designation,
                "applied_on": "2025-12-01",
                "amount": {"amount": amount, "currency": "CNY"},
                "documents": [DOC],
            },
            headers=token("participant", participant_id=who),
        )
        assert applied.status_code == 201, applied.text
        reviewed = await subsidy.post(
            f"/v1/claims/{applied.json()['id']}/review",
            json={"decision": "approve"},
            headers=reviewer,
        )
        assert reviewed.status_code == 200, reviewed.text
        granted.append((reviewed.json()["status"], reviewed.json()["granted"]["amount"]))
    # 5,000,000.00 - 3,000,000.00 leaves 2,000,000.00 for the second company
    assert granted == [("funds_reserved", "3000000.00"), ("funds_reserved", "2000000.00")]
    budgets = (await subsidy.get(f"/v1/designations/{designation}", headers=reviewer)).json()[
        "budgets"
    ]
    assert [
        (b["cap"]["amount"], b["reserved"]["amount"], b["remaining"]["amount"]) for b in budgets
    ] == [("5000000.00", "5000000.00", "0.00")]
    wrong_kind = await subsidy.post(
        "/v1/applications",
        json={
            "policy": "fujian_data_cluster",
            "designation_id": designation,
            "applied_on": "2025-12-01",
            "amount": {"amount": "1.00", "currency": "CNY"},
            "documents": [DOC],
        },
        headers=token("participant", participant_id=operator_co),
    )
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["code"] == "designation_kind_mismatch"
    unknown = await subsidy.post(
        "/v1/applications",
        json={
            "policy": "fujian_data_park",
            "designation_id": str(uuid.uuid4()),
            "applied_on": "2025-12-01",
            "amount": {"amount": "1.00", "currency": "CNY"},
            "documents": [DOC],
        },
        headers=token("participant", participant_id=operator_co),
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "not_designated"


async def test_a_designation_is_corrected_until_someone_applies_under_it(
    subsidy: Any, company: Any, token: Any
) -> None:
    operator = token("operator")
    name = f"Sanming Data Element Park {uuid.uuid4().hex[:6]}"
    created = await subsidy.post(
        "/v1/designations",
        json={"kind": "park", "name": name, "region_code": "350400", "designated_on": "2025-11-20"},
        headers=operator,
    )
    designation = created.json()["id"]
    url = f"/v1/designations/{designation}"
    assert (
        await subsidy.patch(url, json={"name": "x"}, headers=token("participant"))
    ).status_code == 403
    for body, field in [
        ({}, "name"),  # a correction changes something
        ({"kind": "cluster"}, "kind"),  # the kind never changes
        ({"region_code": "110105"}, "region_code"),
        ({"designated_on": "2999-01-01"}, "designated_on"),
    ]:
        refused = await subsidy.patch(url, json=body, headers=operator)
        assert refused.status_code == 422, (body, refused.text)
        assert field in str(refused.json()), (body, refused.json())
    corrected = await subsidy.patch(
        url, json={"name": f"{name} (Sanming)", "designated_on": "2025-11-25"}, headers=operator
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["name"], corrected.json()["designated_on"]) == (
        f"{name} (Sanming)",
        "2025-11-25",
    )
    applicant = await company("350402", "Sanming Park Operations Co.")
    applied = await subsidy.post(
        "/v1/applications",
        json={
            "policy": "fujian_data_park",
            "designation_id": designation,
            "applied_on": "2025-12-01",
            "amount": {"amount": "100000.00", "currency": "CNY"},
            "documents": [DOC],
        },
        headers=token("participant", participant_id=applicant),
    )
    assert applied.status_code == 201, applied.text
    locked = await subsidy.patch(url, json={"designated_on": "2025-11-21"}, headers=operator)
    assert locked.status_code == 409
    assert locked.json()["code"] == "designation_in_use"
    outbox = EVENTING.outbox
    async with subsidy.app.state.database.unit_of_work() as session:
        types = (
            await session.execute(
                select(outbox.c.event_type)
                .where(outbox.c.subject == designation)
                .order_by(outbox.c.position)
            )
        ).scalars()
        assert [t.split(".")[3] for t in types] == ["recorded", "corrected"]


async def test_a_repriced_schedule_changes_what_unpaid_instalments_will_earn(
    subsidy: Any, company: Any
) -> None:
    participant = await company("110105", "Chaoyang Robot Leasing Customer Co.")
    lease = uuid.uuid4()
    # 12,000.00 at 6 %, equal principal: interest 60.00 on 12,000 and 30.00 on 6,000
    first = Receivable(
        "installment",
        1,
        date(2025, 4, 1),
        Decimal("6060.00"),
        Decimal("60.00"),
        Decimal("0.00"),
        Decimal("12000.00"),
    )
    second = Receivable(
        "installment",
        2,
        date(2025, 5, 1),
        Decimal("6030.00"),
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("6000.00"),
    )
    params = load_parameters()
    async with subsidy.app.state.database.unit_of_work() as session:
        leases = LeaseService(session, params)
        await leases.lease_activated(
            lease_id=lease,
            participant_id=participant,
            mode="financing_lease",
            equipment_category="industrial_arm",
            cost=Decimal("12000.00"),
            down_payment=Decimal("0.00"),
            activated_on=date(2025, 3, 1),
            receivables=[first, second],
            aggseq=7,
        )
        await leases.receivable_paid(lease_id=lease, receivable=first, paid_on=first.due_on)
        # repriced to 3 % from period 2 (and a stale period 1, already paid, is ignored)
        await leases.lease_rescheduled(
            lease_id=lease,
            receivables=[
                Receivable(
                    "installment",
                    1,
                    first.due_on,
                    Decimal("6030.00"),
                    Decimal("30.00"),
                    Decimal("0.00"),
                    Decimal("12000.00"),
                ),
                Receivable(
                    "installment",
                    2,
                    second.due_on,
                    Decimal("6015.00"),
                    Decimal("15.00"),
                    Decimal("0.00"),
                    Decimal("6000.00"),
                ),
            ],
        )
        await leases.receivable_paid(lease_id=lease, receivable=second, paid_on=second.due_on)
    (claim,) = await _claims_of(subsidy, lease)
    # min(60.00, 12,000 x 5 % / 12 = 50.00) + min(15.00, 6,000 x 5 % / 12 = 25.00) = 65.00
    assert claim.entitled == Decimal("65.00")


async def test_a_claim_whose_payments_fell_due_after_the_lease_ended_is_withdrawn(
    subsidy: Any, company: Any
) -> None:
    participant = await company("130632", "Xiong'an Early Payer Co.")
    lease = uuid.uuid4()
    june = Receivable("installment", 1, date(2025, 6, 1), Decimal("10000.00"))
    july = Receivable("installment", 2, date(2025, 7, 1), Decimal("10000.00"))
    async with subsidy.app.state.database.unit_of_work() as session:
        leases = LeaseService(session, load_parameters())
        await leases.lease_activated(
            lease_id=lease,
            participant_id=participant,
            mode="long_term",
            equipment_category="amr",
            cost=Decimal("0.00"),
            down_payment=Decimal("0.00"),
            activated_on=date(2025, 5, 1),
            receivables=[june, july],
            aggseq=7,
        )
        # June's rent is paid early, then the rental is returned before June begins
        await leases.receivable_paid(lease_id=lease, receivable=june, paid_on=date(2025, 5, 20))
    (accruing,) = await _claims_of(subsidy, lease)
    assert (accruing.entitled, accruing.status) == (Decimal("1000.00"), "under_review")
    async with subsidy.app.state.database.unit_of_work() as session:
        leases = LeaseService(session, load_parameters())
        await leases.lease_ended(
            lease_id=lease, ended_on=date(2025, 5, 25), reason="returned", aggseq=9
        )
    (withdrawn,) = await _claims_of(subsidy, lease)
    assert (withdrawn.status, withdrawn.reason_code) == ("cancelled", "not_earned")
    assert "nothing of 2025 is earned as the lease now stands" in "\n".join(
        withdrawn.explanation["steps"]
    )
