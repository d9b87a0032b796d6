"""How leases end and when, over HTTP on the real Postgres and Kafka (#11): rent never starts
before signing; every end publishes its date (``ended_on``) and later steps keep it; a prepaid
installment is paid, and announced, on the day it falls due (whenever the sweep runs, with no
penalty); credit that settles the last installment pays the lease off; a buyout announces the
arrears it pays; each installment of the published schedule bears its share of the fees."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from integration.rental.rental_park import Park, cny
from integration.rental.test_rental_lease_finance import Lessor, a_lessor, lease_events

from datapark_contracts.events.rental import LeaseActivated, LeaseBoughtOut
from datapark_rental.leases.accounts import LeaseAccounts
from datapark_rental.leases.service import LeaseService

pytestmark = pytest.mark.integration
D = Decimal
TODAY = datetime.now(UTC).date()
SHORT = {"term_months": 2, "monthly_net_operating_cash_flow": cny("600000")}


@pytest.fixture(scope="module")
async def lessor(catalog: Any, rental: Any, token: Any) -> Lessor:
    return await a_lessor(Park(catalog, rental, token))


async def facts(park: Park, lease_id: str, kind: str) -> list[dict[str, Any]]:
    rows = await park.sql(
        "SELECT payload FROM rental.outbox WHERE subject = :s AND event_type = :t ORDER BY aggseq",
        s=lease_id,
        t=f"datapark.rental.lease.{kind}.v1",
    )
    return [json.loads(r[0]) for r in rows]


async def sweep_lease(rental: Any, lease_id: str, day: date) -> None:
    """The sweeper's pass over this one lease as if ``day`` were today."""
    settings = rental.app.state.settings
    async with rental.app.state.database.unit_of_work() as session:
        service = LeaseService(
            session,
            penalty_daily_rate=D(settings.penalty_daily_rate),
            grace_days=settings.penalty_grace_days,
            termination_fee_rate=D(settings.termination_fee_rate),
        )
        lease = await service.repo.get(uuid.UUID(lease_id), for_update=True)
        assert lease is not None
        await LeaseAccounts(service).sweep_lease(lease, day, datetime.now(UTC))


async def test_rent_cannot_start_before_the_lease_was_signed(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.signed(lessee)
    path = f"/v1/leases/{lease['id']}"
    paid = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json={"amount": lease["upfront_due"]}
    )
    assert paid.status_code == 201, paid.text

    refused = await lessor.rental.post(
        f"{path}/activate",
        headers=lessor.headers,
        json={"delivery_accepted_on": (TODAY - timedelta(days=1)).isoformat()},
    )

    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["delivery_accepted_on"]
    assert TODAY.isoformat() in refused.json()["detail"]  # names the signing date
    after = (await lessor.rental.get(path, headers=lessee)).json()
    assert (after["state"], after["activated_on"]) == ("awaiting_down_payment", None)
    assert await facts(lessor.park, lease["id"], "activated") == []
    on_the_day = await lessor.rental.post(
        f"{path}/activate",
        headers=lessor.headers,
        json={"delivery_accepted_on": TODAY.isoformat()},
    )
    assert on_the_day.status_code == 200, on_the_day.text


async def test_a_buyout_ends_on_its_value_date_and_announces_the_arrears_it_pays(
    lessor: Lessor,
) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY - timedelta(days=40), fees=cny("1000.00"))
    path = f"/v1/leases/{lease['id']}"
    first_due = date.fromisoformat(lease["schedule"][0]["due_date"])
    on = first_due + timedelta(days=2)  # installment 1 fell due and is unpaid
    quote = (await lessor.rental.get(f"{path}/buyout-quote?on={on}", headers=lessee)).json()

    bought = await lessor.rental.post(
        f"{path}/buyout",
        headers=lessor.headers,
        json={"amount": quote["total"], "on": on.isoformat()},
    )

    assert bought.status_code == 200, bought.text
    assert (bought.json()["state"], bought.json()["ended_on"]) == ("paid_off", on.isoformat())
    transferred = await lessor.rental.post(f"{path}/transfer-title", headers=lessor.headers)
    assert transferred.json()["ended_on"] == on.isoformat()  # the title follows the end
    envelopes = await lease_events(lease["id"], "title_transferred")
    ended = [
        (e.type.split(".")[3], e.data["ended_on"])
        for e in envelopes
        if e.type.split(".")[3] in ("bought_out", "title_transferred")
    ]
    assert ended == [("bought_out", on.isoformat()), ("title_transferred", on.isoformat())]
    buyout = LeaseBoughtOut.model_validate(
        next(e.data for e in envelopes if e.type.endswith("bought_out.v1"))
    )
    assert buyout.ended_on == on
    # installment 1 fell due before the buyout and the buyout paid it: announced paid that day
    paid = await facts(lessor.park, lease["id"], "installment_paid")
    assert [(p["period"], p["due_date"], p["paid_on"]) for p in paid] == [
        (1, first_due.isoformat(), on.isoformat())
    ]
    # the activation published each installment's share of the 1,000.00 of fees
    activated = LeaseActivated.model_validate(
        next(e.data for e in envelopes if e.type.endswith("activated.v1"))
    )
    shares = [p.fees for p in activated.schedule]
    assert shares[:35] == [D("27.77")] * 35
    assert shares[35] == D("28.05")  # 1,000.00 − 35 × 27.77
    assert activated.ended_on is None  # a running lease has not ended


@pytest.mark.parametrize(
    ("action", "state"), [("repossess", "repossessed"), ("write-off", "written_off")]
)
async def test_a_termination_ends_the_lease_and_what_follows_keeps_the_date(
    lessor: Lessor, action: str, state: str
) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY - timedelta(days=40))
    path = f"/v1/leases/{lease['id']}"
    on = TODAY - timedelta(days=3)

    terminated = await lessor.rental.post(
        f"{path}/terminate",
        headers=lessor.headers,
        json={"reason": "payments stopped", "on": on.isoformat()},
    )
    followed = await lessor.rental.post(f"{path}/{action}", headers=lessor.headers)

    assert terminated.status_code == 200, terminated.text
    assert (terminated.json()["terminated_on"], terminated.json()["ended_on"]) == (
        on.isoformat(),
        on.isoformat(),
    )
    assert (followed.json()["state"], followed.json()["ended_on"]) == (state, on.isoformat())
    ends = [
        (kind, fact["ended_on"])
        for kind in ("terminated", state)
        for fact in await facts(lessor.park, lease["id"], kind)
    ]
    assert ends == [("terminated", on.isoformat()), (state, on.isoformat())]


async def test_a_lease_paid_off_by_a_payment_ends_on_the_payments_date(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(
        lessee,
        TODAY - timedelta(days=40),
        term_months=1,
        monthly_net_operating_cash_flow=cny("2000000"),
    )
    path = f"/v1/leases/{lease['id']}"
    rows = (await lessor.rental.get(f"{path}/receivables", headers=lessee)).json()["items"]
    owed = sum(
        D(r[c]["amount"]) - D(r[f"{c}_paid"]["amount"])
        for r in rows
        for c in ("principal", "interest")
    )
    # penalties the sweeper charged meanwhile are settled first: pay a little more than owed
    paid = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json={"amount": cny(owed + D("5000.00"))}
    )

    assert paid.status_code == 201, paid.text
    assert paid.json()["lease_state"] == "paid_off"
    (fact,) = await facts(lessor.park, lease["id"], "paid_off")
    assert fact["ended_on"] == TODAY.isoformat()


async def test_a_returned_rental_ends_on_the_day_it_came_back(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY, mode="long_term", **SHORT)
    path = f"/v1/leases/{lease['id']}"

    returned = await lessor.rental.post(f"{path}/return-equipment", headers=lessor.headers)

    assert (returned.json()["state"], returned.json()["ended_on"]) == (
        "returned",
        TODAY.isoformat(),
    )
    (fact,) = await facts(lessor.park, lease["id"], "returned")
    assert fact["ended_on"] == TODAY.isoformat()


async def test_prepaid_installments_are_paid_on_their_due_dates_and_pay_the_lease_off(
    lessor: Lessor,
) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY, **SHORT)
    path = f"/v1/leases/{lease['id']}"
    first, second = lease["schedule"]
    due_1, due_2 = date.fromisoformat(first["due_date"]), date.fromisoformat(second["due_date"])
    total = D(first["payment"]["amount"]) + D(second["payment"]["amount"])

    ahead = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json={"amount": cny(total)}
    )

    assert ahead.status_code == 201, ahead.text
    assert (ahead.json()["allocations"], ahead.json()["credit_after"]) == ([], cny(f"{total:.2f}"))
    assert await facts(lessor.park, lease["id"], "installment_paid") == []  # nothing due yet

    await sweep_lease(lessor.rental, lease["id"], due_1)
    paid = await facts(lessor.park, lease["id"], "installment_paid")
    assert [(p["period"], p["paid_on"], p["penalty"]) for p in paid] == [
        (1, due_1.isoformat(), "0.00")
    ]
    middle = (await lessor.rental.get(path, headers=lessee)).json()
    assert (middle["state"], middle["credit"]) == ("active", second["payment"])

    # the sweep comes ten days late: the credit still paid installment 2 on its due date,
    # and no penalty accrued on it
    await sweep_lease(lessor.rental, lease["id"], due_2 + timedelta(days=10))
    paid = await facts(lessor.park, lease["id"], "installment_paid")
    assert [(p["period"], p["paid_on"], p["penalty"]) for p in paid] == [
        (1, due_1.isoformat(), "0.00"),
        (2, due_2.isoformat(), "0.00"),
    ]
    done = (await lessor.rental.get(path, headers=lessee)).json()
    assert (done["state"], done["ended_on"], done["credit"]) == (
        "paid_off",
        due_2.isoformat(),
        cny("0.00"),
    )
    (paid_off,) = await facts(lessor.park, lease["id"], "paid_off")
    assert paid_off["ended_on"] == due_2.isoformat()
