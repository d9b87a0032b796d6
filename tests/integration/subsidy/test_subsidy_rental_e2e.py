"""End to end: a Beijing financing lease activated over rental's HTTP API is projected with its
schedule and promises nothing; when its first instalment is paid (rental's
``installment_paid``, published through rental's own outbox since the instalment falls due a
month from now) it earns exactly its rate support within seconds; delivering the same records
again (the very records, or the facts under new event ids) changes nothing."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from integration.rental.rental_park import Park
from sqlalchemy import select
from support.helpers import INJECTED, KAFKA, eventually

from datapark_contracts.events.rental import InstallmentPaid
from datapark_contracts.ids import uuid7
from datapark_contracts.topics import RENTAL_ORDERS
from datapark_eventing.kafka import make_producer
from datapark_eventing.replay import replay
from datapark_rental.tables import OUTBOX as RENTAL_OUTBOX
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord
from datapark_subsidy.tables import EVENTING, PARTICIPANTS

pytestmark = pytest.mark.integration


async def _in_subsidy(subsidy: Any, statement: Any) -> list[Any]:
    async with subsidy.app.state.database.unit_of_work() as session:
        return list((await session.execute(statement)).all())


async def test_a_beijing_financing_lease_over_http_earns_rate_support_once_paid(
    catalog: Any, rental: Any, subsidy: Any, token: Any
) -> None:
    today = datetime.now(UTC).date()
    park = Park(catalog, rental, token)
    lessor_id, lessor = await park.company()
    unit_id = await park.unit(lessor, cost="1200000.00")
    offering_id = await park.offering(lessor, unit_id=unit_id)
    recorded = await rental.put(
        f"/v1/lessors/{lessor_id}/financials",
        headers=lessor,
        json={"net_assets": {"amount": "100000000", "currency": "CNY"}, "as_of": today.isoformat()},
    )
    assert recorded.status_code == 200, recorded.text
    lessee_id, lessee = await park.company()  # registered in 110105, Beijing Chaoyang
    # subsidy knows the lessee (its consumer may first catch up on the log)
    await eventually(
        lambda: _in_subsidy(
            subsidy, select(PARTICIPANTS.c.id).where(PARTICIPANTS.c.id == lessee_id)
        ),
        timeout=240,
        interval=0.25,
    )

    applied = await rental.post(
        "/v1/lease-applications",
        headers=lessee,
        json={
            "mode": "financing",
            "equipment_cost": {"amount": "1000000", "currency": "CNY"},
            "down_payment_rate": "0.10",
            "term_months": 36,
            "annual_rate": "0.06",
            "start_date": today.isoformat(),
            "offering_id": str(offering_id),
            "monthly_net_operating_cash_flow": {"amount": "40000", "currency": "CNY"},
        },
    )
    assert applied.status_code == 201, applied.text
    assert applied.json()["state"] == "approved"
    path = f"/v1/leases/{applied.json()['id']}"
    signed = (await rental.post(f"{path}/sign", headers=lessor)).json()
    paid = await rental.post(
        f"{path}/payments", headers=lessee, json={"amount": signed["upfront_due"]}
    )
    assert paid.status_code == 201, paid.text
    activated = await rental.post(
        f"{path}/activate", headers=lessor, json={"delivery_accepted_on": today.isoformat()}
    )
    assert activated.status_code == 200, activated.text
    lease_id = uuid.UUID(activated.json()["id"])
    lease = activated.json()

    # the lease is projected with its 36 instalments, and no claim: nothing is earned yet
    receivables = await eventually(
        lambda: _in_subsidy(
            subsidy,
            select(LeaseReceivableRecord).where(LeaseReceivableRecord.lease_id == lease_id),
        ),
        timeout=30,
        interval=0.1,
    )
    assert len(receivables) == 36
    assert await _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id)) == []
    first = min((r for (r,) in receivables), key=lambda r: r.period)
    # leasing.md test vector 1: 900,000 at 6 %, period 1 interest 4,500.00
    assert (first.interest, first.opening_balance) == (Decimal("4500.00"), Decimal("900000.00"))

    # rental's record that the first instalment was paid, through rental's outbox
    started = time.perf_counter()
    paid = InstallmentPaid(
        lease_id=lease_id,
        lessee_participant_id=lessee_id,
        occurred_at=datetime.now(UTC),
        period=1,
        kind="installment",
        due_date=first.due_on,
        amount=first.amount,
        penalty=Decimal("0.00"),
        paid_on=first.due_on,
    )
    async with rental.app.state.database.unit_of_work() as session:
        await RENTAL_OUTBOX.append(session, paid, occurred_at=paid.occurred_at)
    claims = await eventually(
        lambda: _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id)),
        timeout=30,
        interval=0.1,
    )
    seconds = time.perf_counter() - started
    assert len(claims) == 1
    claim = claims[0][0]
    # min(interest 4,500.00, 900,000.00 x 5 % / 12 = 3,750.00): 5/6 of a 6 % lease's interest
    assert (claim.policy, claim.entitled, claim.status, claim.period) == (
        "beijing_financing_lease",
        Decimal("3750.00"),
        "under_review",
        str(first.due_on.year),
    )
    assert claim.earned_on == date(first.due_on.year + 1, 1, 1)
    assert claim.participant_id == lessee_id
    assert lease["state"] == "active"
    print(f"\ninstalment paid in rental -> claim in subsidy: {seconds:.2f}s")

    # deliver the activation and the payment again: the very records, and the same facts
    # under new event ids
    records = [
        r.envelope
        async for r in replay(KAFKA, [RENTAL_ORDERS])
        if r.envelope is not None
        and r.envelope.subject == str(lease_id)
        and r.envelope.type.endswith(("lease.activated.v1", "lease.installment_paid.v1"))
    ]
    assert len(records) == 2
    republished = [replace(r, id=uuid7(), extra_headers=INJECTED).sealed() for r in records]
    producer = make_producer(KAFKA, client_id="subsidy-e2e")
    await producer.start()
    try:
        for envelope in (*records, *republished):
            await producer.send_and_wait(
                RENTAL_ORDERS, envelope.value(), key=envelope.key, headers=envelope.headers()
            )
    finally:
        await producer.stop()
    await eventually(
        lambda: _count_is(subsidy, [e.id for e in republished], 2), timeout=30, interval=0.2
    )
    again = await _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id))
    assert [(c.id, c.entitled, c.version) for (c,) in again] == [
        (claim.id, Decimal("3750.00"), claim.version)
    ]
    leases = await _in_subsidy(subsidy, select(LeaseRecord.id).where(LeaseRecord.id == lease_id))
    assert len(leases) == 1


async def _count_is(subsidy: Any, ids: list[Any], n: int) -> bool:
    inbox = EVENTING.inbox
    rows = await _in_subsidy(subsidy, select(inbox.c.event_id).where(inbox.c.event_id.in_(ids)))
    return len(rows) == n
