"""Leases over HTTP on the real Postgres and Kafka: the vectors of leasing.md through
``POST /v1/lease-quotes``, the risk review, a financing lease from application to title
transfer with its events read back from Kafka, payments, penalties and delinquency, early
buyout, termination, the return of a long-term rental and a service lease's usage invoices."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from integration.rental.rental_park import Park, cny
from support.helpers import KAFKA, eventually

from datapark_contracts.events.rental import LeaseActivated
from datapark_contracts.topics import RENTAL_ORDERS
from datapark_contracts.verify import verify_chain
from datapark_eventing.replay import replay
from datapark_rental.leases.repository import LeaseRepository

pytestmark = pytest.mark.integration
D = Decimal
TODAY = datetime.now(UTC).date()
VECTOR_1 = {
    "mode": "financing",
    "equipment_cost": cny("1000000"),
    "down_payment_rate": "0.10",
    "term_months": 36,
    "annual_rate": "0.06",
    "start_date": "2024-01-15",
}
PROFILE = [cny(x * 1000) for x in (50, 40, 60, 80, 100, 120, 150, 150, 120, 100, 80, 60)]


class Leasing:
    """One lessor with a financed unit on offer and its net assets on record."""

    def __init__(
        self, park: Park, lessor_id: uuid.UUID, lessor: dict[str, str], offering_id: uuid.UUID
    ) -> None:
        self.park, self.rental = park, park.rental
        self.lessor_id, self.lessor, self.offering_id = lessor_id, lessor, offering_id

    async def apply(self, lessee: dict[str, str], **overrides: Any) -> dict[str, Any]:
        body = {
            **VECTOR_1,
            "start_date": TODAY.isoformat(),
            "offering_id": str(self.offering_id),
            "monthly_net_operating_cash_flow": cny("40000"),
        } | overrides
        response = await self.rental.post("/v1/lease-applications", headers=lessee, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def active(
        self, lessee: dict[str, str], accepted_on: date, **overrides: Any
    ) -> dict[str, Any]:
        """Applied, approved, signed, down payment paid and activated on ``accepted_on``. A
        lease whose rent started in the past was signed (as if) and its down payment received
        that day, which the lessor records back-dated: rent never starts before signing."""
        lease = await self.apply(lessee, **overrides)
        assert lease["state"] == "approved", lease["refusal"]
        path = f"/v1/leases/{lease['id']}"
        signed = (await self.rental.post(f"{path}/sign", headers=self.lessor)).json()
        assert signed["state"] == "awaiting_down_payment"
        return await self.park.activate_signed(
            signed, lessee=lessee, lessor=self.lessor, accepted_on=accepted_on
        )


@pytest.fixture(scope="module")
async def leasing(catalog: Any, rental: Any, token: Any) -> Leasing:
    park = Park(catalog, rental, token)
    lessor_id, lessor = await park.company()
    unit_id = await park.unit(lessor, cost="1200000.00")
    offering_id = await park.offering(lessor, unit_id=unit_id)
    recorded = await rental.put(
        f"/v1/lessors/{lessor_id}/financials",
        headers=lessor,
        json={"net_assets": cny("100000000"), "as_of": TODAY.isoformat()},
    )
    assert recorded.status_code == 200, recorded.text
    return Leasing(park, lessor_id, lessor, offering_id)


async def quote(rental: Any, token: Any, **overrides: Any) -> Any:
    return await rental.post(
        "/v1/lease-quotes", headers=token("customer"), json=VECTOR_1 | overrides
    )


# --------------------------------------------------------------------------- quotes


async def test_vector_0_through_the_api(rental, token) -> None:
    response = await quote(
        rental,
        token,
        equipment_cost=cny("100"),
        down_payment_rate="0.25",
        term_months=6,
        annual_rate="0.07",
    )
    body = response.json()

    assert response.status_code == 200, response.text
    assert body["down_payment"] == {"amount": "25.00", "currency": "CNY"}
    assert [i["payment"]["amount"] for i in body["items"]] == ["12.76"] * 5 + ["12.74"]


async def test_vector_1_through_the_api(rental, token) -> None:
    body = (await quote(rental, token)).json()
    items = body["items"]

    assert (body["down_payment"], body["financed_principal"]) == (
        cny("100000.00"),
        cny("900000.00"),
    )
    assert {i["payment"]["amount"] for i in items[:35]} == {"27379.74"}
    assert (items[0]["interest"], items[0]["principal"], items[0]["balance"]) == (
        cny("4500.00"),
        cny("22879.74"),
        cny("877120.26"),
    )
    assert items[1]["interest"] == cny("4385.60")
    assert items[11]["balance"] == cny("617765.55")
    assert (items[35]["payment"], items[35]["interest"]) == (cny("27379.90"), cny("136.22"))
    assert body["totals"]["interest"] == cny("85670.80")
    assert body["yield"]["apr"] == "0.060000"
    assert items[0]["due_date"] == "2024-02-15"


async def test_equal_principal_balloon_and_seasonal_vectors(rental, token) -> None:
    equal = (await quote(rental, token, amortization="equal_principal")).json()
    balloon = (await quote(rental, token, balloon=cny("200000"))).json()
    seasonal = (
        await quote(
            rental,
            token,
            equipment_cost=cny("100000"),
            term_months=12,
            amortization="seasonal",
            cash_flow_profile=PROFILE,
        )
    ).json()

    assert equal["items"][0]["payment"] == cny("29500.00")
    assert equal["totals"]["interest"] == cny("83250.00")
    assert equal["present_value"] == cny("900000.00")
    assert balloon["items"][0]["payment"] == cny("22295.36")
    assert balloon["items"][35]["balance"] == cny("200000.00")
    assert balloon["totals"]["interest"] == cny("102632.81")
    assert balloon["present_value"] == cny("900000.00")
    payments = [i["payment"]["amount"] for i in seasonal["items"]]
    assert payments[:3] == ["3350.60", "5025.90", "6701.20"]
    assert payments[-1] == "4188.25"
    assert seasonal["present_value"] == cny("90000.00")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"term_months": 0}, "term_months"),
        ({"annual_rate": "-0.01"}, "annual_rate"),
        ({"down_payment_rate": "1"}, "down_payment_rate"),
        ({"amortization": "seasonal"}, "cash_flow_profile"),
        # money is a Money object holding a decimal string: a JSON number or a bare string is
        # refused naming the field, so is another currency
        ({"equipment_cost": {"amount": 1000000, "currency": "CNY"}}, "equipment_cost.amount"),
        ({"equipment_cost": "1000000"}, "equipment_cost"),
        ({"fees": {"amount": "10.00", "currency": "USD"}}, "fees.currency"),
        ({"deposit": {"amount": "10.005", "currency": "CNY"}}, "deposit.amount"),
    ],
)
async def test_bad_terms_are_refused_naming_the_field(rental, token, overrides, field) -> None:
    response = await quote(rental, token, **overrides)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


# --------------------------------------------------------------------------- applications


async def test_a_weak_dscr_is_refused_with_the_shortfall(leasing, park) -> None:
    _, lessee = await park.company()
    lease = await leasing.apply(lessee, monthly_net_operating_cash_flow=cny("30000"))

    assert lease["state"] == "rejected"
    assert [c["check"] for c in lease["refusal"]] == ["dscr"]
    # The weakest month is the last (27,379.90), found on exact ratios (#11): 30,000 /
    # 27,379.90 = 1.09569… shown rounded down; 1.25 × 27,379.90 − 30,000 = 4,224.875 → 4,224.88.
    assert lease["refusal"][0]["value"] == "1.0956"
    assert lease["refusal"][0]["shortfall"] == {
        "ratio": "0.1544",
        "amount": None,
        "monthly_cash_flow": cny("4224.88"),
    }
    assert [c["shortfall"] for c in lease["risk_checks"] if c["check"] != "dscr"] == [None] * (
        len(lease["risk_checks"]) - 1
    )  # only a failed check has one
    facts = await park.sql(
        "SELECT event_type, payload FROM rental.outbox WHERE subject = :s ORDER BY aggseq",
        s=lease["id"],
    )
    assert [f[0].split(".")[3] for f in facts] == ["submitted", "rejected"]
    assert '"failed_checks":[{"check":"dscr"' in facts[1][1]


async def test_concentration_beyond_the_lessors_net_assets_is_refused(rental, park) -> None:
    lessor_id, lessor = await park.company()
    offering_id = await park.offering(lessor, unit_id=await park.unit(lessor))
    await rental.put(
        f"/v1/lessors/{lessor_id}/financials",
        headers=lessor,
        json={"net_assets": cny("2000000"), "as_of": TODAY.isoformat()},
    )
    _, lessee = await park.company()

    response = await rental.post(
        "/v1/lease-applications",
        headers=lessee,
        json={
            **VECTOR_1,
            "offering_id": str(offering_id),
            "monthly_net_operating_cash_flow": cny("40000"),
        },
    )

    refusal = response.json()["refusal"]
    assert [c["check"] for c in refusal] == ["lessee_concentration"]
    assert refusal[0]["shortfall"] == {
        "ratio": "0.1500",
        "amount": cny("300000.00"),
        "monthly_cash_flow": None,
    }


# --------------------------------------------------------------------------- a whole lease


async def test_a_financing_lease_is_activated_over_http_and_its_events_are_on_kafka(
    leasing, park, rental
) -> None:
    lessee_id, lessee = await park.company()
    lease = await leasing.active(lessee, TODAY)
    lease_id = lease["id"]

    assert lease["state"] == "active"
    assert lease["activated_on"] == TODAY.isoformat()
    assert lease["schedule"][0]["payment"] == cny("27379.74")

    async def on_kafka() -> list[Any] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [RENTAL_ORDERS])
            if r.envelope is not None and r.envelope.subject == lease_id
        ]
        return found if any(e.type.endswith("lease.activated.v1") for e in found) else None

    envelopes = await eventually(on_kafka, timeout=30, interval=0.5)
    assert [e.type.split(".")[3] for e in envelopes] == [
        "submitted",
        "approved",
        "signed",
        "down_payment_billed",
        "payment_received",
        "invoice_issued",
        "activated",
    ]
    assert verify_chain(envelopes) == []
    activated = LeaseActivated.model_validate(envelopes[-1].data)
    assert activated.lessee_participant_id == lessee_id
    assert (activated.mode, activated.equipment_category) == ("financing_lease", "industrial_arm")
    assert (activated.equipment_cost, activated.down_payment, activated.financed_principal) == (
        D("1000000.00"),
        D("100000.00"),
        D("900000.00"),
    )
    assert activated.activated_on == TODAY
    assert len(activated.schedule) == 36
    assert activated.schedule[-1].payment == D("27379.90")
    cloud = from_binary_event(
        KafkaMessage(
            headers=dict(envelopes[-1].headers()),
            key=envelopes[-1].key,
            value=envelopes[-1].value(),
        )
    )
    assert cloud.get_type() == "datapark.rental.lease.activated.v1"


async def test_payments_penalties_delinquency_and_credit(leasing, park, rental) -> None:
    _, lessee = await park.company()
    lease = await leasing.active(lessee, TODAY - timedelta(days=70))
    path = f"/v1/leases/{lease['id']}"

    async def delinquent() -> dict[str, Any] | None:
        got = (await rental.get(path, headers=lessee)).json()
        return got if got["delinquency_bucket"] == "31-60" else None

    seen = await eventually(delinquent, timeout=30)
    assert seen["days_past_due"] > 30
    for refused, field in (
        ({"amount": {"amount": "100", "currency": "USD"}}, "amount.currency"),
        ({"amount": {"amount": "-5", "currency": "CNY"}}, "amount.amount"),
        ({"amount": {"amount": 100, "currency": "CNY"}}, "amount.amount"),
        ({"amount": "100"}, "amount"),
    ):
        bad = await rental.post(f"{path}/payments", headers=lessee, json=refused)
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == field

    first = await rental.post(f"{path}/payments", headers=lessee, json={"amount": cny("30000")})
    first = first.json()
    lines = [(a["period"], a["component"]) for a in first["allocations"]]
    assert lines[:3] == [(1, "penalty"), (1, "interest"), (1, "principal")]
    assert first["allocations"][1]["amount"] == cny("4500.00")
    assert first["allocations"][2]["amount"] == cny("22879.74")
    assert lines[3] == (2, "penalty")
    assert first["credit_after"] == cny("0.00")

    second = (
        await rental.post(f"{path}/payments", headers=lessee, json={"amount": cny("60000")})
    ).json()
    assert D(second["credit_after"]["amount"]) > 0  # an overpayment is held, never lost
    after = (await rental.get(path, headers=lessee)).json()
    assert (after["delinquency_bucket"], after["days_past_due"]) == ("0", 0)
    assert after["credit"] == second["credit_after"]
    receivables = (await rental.get(f"{path}/receivables", headers=lessee)).json()["items"]
    assert receivables[0]["penalty"] != cny("0.00")
    assert receivables[2]["principal_paid"] == cny("0.00")  # not yet due: the credit waits
    facts = await park.sql("SELECT event_type FROM rental.outbox WHERE subject = :s", s=lease["id"])
    kinds = [f[0].split(".")[3] for f in facts]
    assert kinds.count("installment_fell_due") == 2
    assert kinds.count("installment_paid") == 2
    assert "delinquency_changed" in kinds


async def test_the_sweeper_reaches_a_new_lease_past_leases_long_in_arrears(
    leasing, park, rental
) -> None:
    """A pass takes at most ``limit`` leases with something due, and a lease in arrears has
    something due on every pass: taken in id order, more than ``limit`` of them starved every
    newer lease. Leases are taken least recently swept first (never swept first)."""
    _, lessee = await park.company()
    older = await leasing.active(lessee, TODAY - timedelta(days=70))
    newer = await leasing.active(lessee, TODAY - timedelta(days=70))
    assert older["id"] < newer["id"]  # in id order the older one came first

    async def newer_first() -> bool:
        # every other lease (the older one included) was swept "later" than the newer one
        await park.sql(
            "UPDATE rental.leases SET swept_at = now() + interval '1 hour' WHERE id <> :i",
            i=uuid.UUID(newer["id"]),
        )
        async with rental.app.state.database.unit_of_work() as session:
            picked = await LeaseRepository(session).leases_to_sweep(TODAY, 1)
        return [str(lease.id) for lease in picked] == [newer["id"]]

    # the app's own sweeper runs beside this test and may hold the newer lease's row lock
    # (SKIP LOCKED) for a moment: look again until it is free
    assert await eventually(newer_first, timeout=20, interval=0.2)


async def test_a_payment_replayed_with_its_idempotency_key_moves_money_once(
    leasing, park, rental
) -> None:
    _, lessee = await park.company()
    lease = await leasing.apply(lessee)
    path = f"/v1/leases/{lease['id']}"
    await rental.post(f"{path}/sign", headers=leasing.lessor)
    key = {"Idempotency-Key": f"pay-{uuid.uuid4()}"}

    pay = {"amount": cny("60000")}
    first = await rental.post(f"{path}/payments", headers=lessee | key, json=pay)
    again = await rental.post(f"{path}/payments", headers=lessee | key, json=pay)
    other = await rental.post(f"{path}/payments", headers=lessee | key, json={"amount": cny(1)})

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    got = (await rental.get(path, headers=lessee)).json()
    assert got["down_payment_paid"] == cny("60000.00")


async def test_early_buyout_then_title_transfer(leasing, park, rental) -> None:
    _, lessee = await park.company()
    lease = await leasing.active(lessee, TODAY, buyout_price=cny("1000"), deposit=cny("50000"))
    path = f"/v1/leases/{lease['id']}"

    quoted = (await rental.get(f"{path}/buyout-quote", headers=lessee)).json()
    assert quoted["outstanding_principal"] == cny("900000.00")
    assert quoted["deposit_offset"] == cny("50000.00")
    assert quoted["termination_fee"] == cny("18000.00")  # 2 % of 900,000
    assert quoted["total"] == cny("869000.00")  # 900,000 + 18,000 + 1,000 − 50,000
    short = await rental.post(f"{path}/buyout", headers=lessee, json={"amount": cny("868999.99")})
    assert short.status_code == 422
    bought = await rental.post(f"{path}/buyout", headers=lessee, json={"amount": quoted["total"]})
    assert bought.json()["state"] == "paid_off"
    assert (await rental.post(f"{path}/transfer-title", headers=lessee)).status_code == 403
    transferred = await rental.post(f"{path}/transfer-title", headers=leasing.lessor)
    assert transferred.json()["state"] == "title_transferred"


async def test_termination_accelerates_and_leads_to_repossession(leasing, park, rental) -> None:
    _, lessee = await park.company()
    lease = await leasing.active(lessee, TODAY - timedelta(days=40))
    path = f"/v1/leases/{lease['id']}"

    statement = (await rental.get(f"{path}/termination-statement", headers=lessee)).json()
    terminated = await rental.post(
        f"{path}/terminate", headers=leasing.lessor, json={"reason": "payments stopped"}
    )
    assert terminated.status_code == 200, terminated.text
    assert terminated.json()["state"] == "terminated"
    assert terminated.json()["terminated_on"] == TODAY.isoformat()
    assert statement["outstanding_principal"] == cny("900000.00")
    assert statement["interest_due"] == cny("4500.00")
    receivables = (await rental.get(f"{path}/receivables", headers=lessee)).json()["items"]
    assert {r["due_date"] for r in receivables[1:]} == {TODAY.isoformat()}
    repossessed = await rental.post(f"{path}/repossess", headers=leasing.lessor)
    assert repossessed.json()["state"] == "repossessed"


async def test_a_long_term_rental_is_returned_and_closed(leasing, park, rental) -> None:
    _, lessee = await park.company()
    lease = await leasing.active(
        lessee,
        TODAY - timedelta(days=70),
        mode="long_term",
        term_months=2,
        monthly_net_operating_cash_flow=cny("600000"),
    )
    path = f"/v1/leases/{lease['id']}"
    returned = await rental.post(f"{path}/return-equipment", headers=leasing.lessor)
    assert returned.json()["state"] == "returned"
    refused = await rental.post(f"{path}/close", headers=leasing.lessor)
    assert refused.status_code == 409

    async def swept() -> list[dict[str, Any]] | None:  # penalties charged up to today
        got = (await rental.get(path, headers=lessee)).json()
        rows = (await rental.get(f"{path}/receivables", headers=lessee)).json()["items"]
        return rows if got["days_past_due"] > 0 else None

    rows = await eventually(swept, timeout=30)
    owed = sum(
        D(r[c]["amount"]) - D(r[f"{c}_paid"]["amount"])
        for r in rows
        for c in ("principal", "interest", "penalty")
    )
    paid = await rental.post(
        f"{path}/payments", headers=lessee, json={"amount": cny(owed + D("10.00"))}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["credit_after"] == cny("10.00")
    closed = await rental.post(f"{path}/close", headers=leasing.lessor)
    assert closed.json()["state"] == "closed", closed.text


async def test_a_service_lease_is_invoiced_the_larger_of_usage_and_minimum(
    leasing, park, rental
) -> None:
    _, lessee = await park.company()
    this_month = TODAY.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    month_before = (last_month - timedelta(days=1)).replace(day=1)
    lease = await leasing.active(lessee, month_before, mode="service")
    path = f"/v1/leases/{lease['id']}"
    for day, quantity in (
        (month_before, "3"),
        (last_month, "8"),
        (last_month + timedelta(days=3), "4"),
    ):
        reported = await rental.post(
            f"{path}/usage",
            headers=lessee,
            json={"quantity": quantity, "occurred_on": day.isoformat()},
        )
        assert reported.status_code == 201, reported.text

    quiet = (
        await rental.post(
            f"{path}/usage-invoices",
            headers=leasing.lessor,
            json={"month": month_before.strftime("%Y-%m")},
        )
    ).json()
    busy = (
        await rental.post(
            f"{path}/usage-invoices",
            headers=leasing.lessor,
            json={"month": last_month.strftime("%Y-%m")},
        )
    ).json()
    twice = await rental.post(
        f"{path}/usage-invoices",
        headers=leasing.lessor,
        json={"month": last_month.strftime("%Y-%m")},
    )

    assert (quiet["usage_amount"], quiet["amount"]) == (cny("15000.00"), cny("40000.00"))
    assert (busy["usage_amount"], busy["amount"]) == (cny("60000.00"), cny("60000.00"))
    assert twice.status_code == 409
    receivables = (await rental.get(f"{path}/receivables", headers=lessee)).json()["items"]
    assert [(r["kind"], r["principal"]["amount"]) for r in receivables] == [
        ("usage", "40000.00"),
        ("usage", "60000.00"),
    ]


async def test_only_parties_write_and_only_operators_apply_for_others(
    leasing: Leasing, token: Any
) -> None:
    """A partner cannot open a lease in someone else's name; an auditor reads but cannot pay
    or report usage; a stranger sees nothing."""
    lessee_id, lessee = await leasing.park.company()
    partner = token("partner", participant_id=uuid.uuid4())
    body = {
        **VECTOR_1,
        "start_date": TODAY.isoformat(),
        "offering_id": str(leasing.offering_id),
        "monthly_net_operating_cash_flow": cny("40000"),
        "lessee_participant_id": str(lessee_id),
    }
    impostor = await leasing.rental.post("/v1/lease-applications", headers=partner, json=body)
    assert impostor.status_code == 403
    lease = await leasing.apply(lessee)
    path = f"/v1/leases/{lease['id']}"
    signed = (await leasing.rental.post(f"{path}/sign", headers=leasing.lessor)).json()
    auditor = token("auditor", participant_id=uuid.uuid4())
    assert (await leasing.rental.get(path, headers=auditor)).status_code == 200
    paid = await leasing.rental.post(
        f"{path}/payments", headers=auditor, json={"amount": signed["upfront_due"]}
    )
    assert paid.status_code == 403
    stranger = token("participant", participant_id=uuid.uuid4())
    hidden = await leasing.rental.post(
        f"{path}/payments", headers=stranger, json={"amount": signed["upfront_due"]}
    )
    assert hidden.status_code == 404
    still = (await leasing.rental.get(path, headers=lessee)).json()
    assert still["state"] == "awaiting_down_payment"
    assert still["down_payment_paid"] == cny("0.00")
