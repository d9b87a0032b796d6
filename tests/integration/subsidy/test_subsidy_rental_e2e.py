"""End to end: a Beijing financing lease activated over rental's HTTP API yields a claim of
exactly 5 % of its financed principal within seconds; delivering the same event again (the
very record, or the fact under a new event id) changes nothing."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from integration.rental.rental_park import Park
from sqlalchemy import select
from support.helpers import INJECTED, KAFKA, eventually

from datapark_contracts.ids import uuid7
from datapark_contracts.topics import RENTAL_ORDERS
from datapark_eventing.kafka import make_producer
from datapark_eventing.replay import replay
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.tables import EVENTING, PARTICIPANTS

pytestmark = pytest.mark.integration


async def _in_subsidy(subsidy: Any, statement: Any) -> list[Any]:
    async with subsidy.app.state.database.unit_of_work() as session:
        return list((await session.execute(statement)).all())


async def test_a_beijing_financing_lease_activated_over_http_yields_5_percent_once(
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
        json={"net_assets": "100000000", "as_of": today.isoformat()},
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
            "equipment_cost": "1000000",
            "down_payment_rate": "0.10",
            "term_months": 36,
            "annual_rate": "0.06",
            "start_date": today.isoformat(),
            "offering_id": str(offering_id),
            "monthly_net_operating_cash_flow": "40000",
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
    started = time.perf_counter()
    lease_id = uuid.UUID(activated.json()["id"])

    claims = await eventually(
        lambda: _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id)),
        timeout=30,
        interval=0.1,
    )
    seconds = time.perf_counter() - started
    assert len(claims) == 1
    claim = claims[0][0]
    # financed principal 1,000,000 - 100,000 = 900,000; 5 % = 45,000.00
    assert (claim.policy, claim.entitled, claim.status) == (
        "beijing_financing_lease",
        Decimal("45000.00"),
        "under_review",
    )
    assert claim.participant_id == lessee_id
    print(f"\nlease activated over HTTP -> claim in subsidy: {seconds:.2f}s")

    # deliver the activation again: the very record, and the same fact under a new event id
    records = [
        r.envelope
        async for r in replay(KAFKA, [RENTAL_ORDERS])
        if r.envelope is not None
        and r.envelope.subject == str(lease_id)
        and r.envelope.type.endswith("lease.activated.v1")
    ]
    assert len(records) == 1
    original = records[0]
    republished = replace(original, id=uuid7(), extra_headers=INJECTED).sealed()
    producer = make_producer(KAFKA, client_id="subsidy-e2e")
    await producer.start()
    try:
        for envelope in (original, republished):
            await producer.send_and_wait(
                RENTAL_ORDERS, envelope.value(), key=envelope.key, headers=envelope.headers()
            )
    finally:
        await producer.stop()
    inbox = EVENTING.inbox
    await eventually(
        lambda: _in_subsidy(
            subsidy, select(inbox.c.event_id).where(inbox.c.event_id == republished.id)
        ),
        timeout=30,
    )
    again = await _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id))
    assert [(c.id, c.entitled, c.version) for (c,) in again] == [
        (claim.id, Decimal("45000.00"), claim.version)
    ]
