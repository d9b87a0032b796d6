"""Through Kafka: rental's ``lease.activated`` record yields exactly one claim, however often
it is delivered (the same record again, or the fact republished under a new event id)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from support.helpers import eventually

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.rental import LeaseActivated, ScheduledPayment
from datapark_contracts.ids import uuid7
from datapark_eventing.kafka import make_producer
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.tables import EVENTING

pytestmark = pytest.mark.integration
KAFKA = "127.0.0.1:9092"


def _activated(lease_id: uuid.UUID, lessee: uuid.UUID) -> LeaseActivated:
    return LeaseActivated(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        lessor_participant_id=uuid.uuid4(),
        offering_id=uuid.uuid4(),
        kit_id=None,
        unit_ids=(uuid.uuid4(),),
        mode="financing_lease",
        equipment_category="industrial_arm",
        equipment_cost=Decimal("1000000.00"),
        down_payment=Decimal("100000.00"),
        financed_principal=Decimal("900000.00"),
        balloon=Decimal("0.00"),
        buyout_price=Decimal("0.00"),
        deposit=Decimal("0.00"),
        fees=Decimal("0.00"),
        annual_rate=Decimal("0.06"),
        apr=Decimal("0.06"),
        term_months=1,
        amortization="annuity",
        start_date=date(2025, 3, 1),
        schedule=(
            ScheduledPayment(
                period=1,
                due_date=date(2025, 4, 1),
                payment=Decimal("904500.00"),
                interest=Decimal("4500.00"),
                principal=Decimal("900000.00"),
                balance=Decimal("0.00"),
            ),
        ),
        state="active",
        activated_on=date(2025, 3, 1),
        terminated_on=None,
        delinquency_bucket="0",
        occurred_at=datetime.now(UTC),
    )


def _envelope(payload: LeaseActivated, aggseq: int) -> Envelope:
    return Envelope(
        id=uuid7(),
        source="/datapark/rental",
        type=payload.event_type,
        subject=payload.aggregate_id(),
        time=payload.occurred_at,
        data=payload.to_data(),
        aggseq=aggseq,
        prevhash=GENESIS_HASH,
    ).sealed()


async def test_activation_yields_one_claim_however_often_delivered(
    subsidy: Any, company: Any
) -> None:
    participant = await company("110105")
    lease_id = uuid.uuid4()
    payload = _activated(lease_id, participant)
    first = _envelope(payload, aggseq=7)
    republished = _envelope(payload, aggseq=7)  # same fact, another event id
    producer = make_producer(KAFKA, client_id="subsidy-test")
    await producer.start()
    try:
        for envelope in (first, first, republished):
            await producer.send_and_wait(
                payload.topic, envelope.value(), key=envelope.key, headers=envelope.headers()
            )
    finally:
        await producer.stop()

    async def claims() -> list[Claim]:
        async with subsidy.app.state.database.unit_of_work() as session:
            return list(
                (await session.execute(select(Claim).where(Claim.lease_id == lease_id))).scalars()
            )

    found = await eventually(claims, timeout=20)

    async def both_handled() -> bool:
        inbox = EVENTING.inbox
        async with subsidy.app.state.database.unit_of_work() as session:
            ids = set(
                (
                    await session.execute(
                        select(inbox.c.event_id).where(
                            inbox.c.event_id.in_([first.id, republished.id])
                        )
                    )
                ).scalars()
            )
        return ids == {first.id, republished.id}

    await eventually(both_handled, timeout=20)
    found = await claims()
    assert len(found) == 1
    assert found[0].entitled == Decimal("45000.00")  # 5 % of 1,000,000 - 100,000
    assert found[0].policy == "beijing_financing_lease"
