"""Through Kafka: rental's lease records accrue exactly one claim per year, however often they
are delivered (the same record again, or the fact republished under a new event id); an
activation alone promises nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from support.helpers import INJECTED, KAFKA, eventually
from support.leases import one_month_financing_lease

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.catalog_listings import RobotCategory
from datapark_contracts.events.rental import (
    BookingClosed,
    InstallmentPaid,
    LeaseActivated,
    LeaseUsageInvoiced,
    QuoteLine,
)
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_eventing.kafka import make_producer
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.tables import EVENTING

pytestmark = pytest.mark.integration


def _activated(lease_id: uuid.UUID, lessee: uuid.UUID) -> LeaseActivated:
    return one_month_financing_lease(
        lease_id,
        lessee,
        lessor=uuid.uuid4(),
        start=date(2025, 3, 1),
        occurred_at=datetime.now(UTC),
    )


def _envelope(payload: EventPayload, aggseq: int) -> Envelope:
    return Envelope(
        id=uuid7(),
        source="/datapark/rental",
        type=payload.event_type,
        subject=payload.aggregate_id(),
        time=datetime.now(UTC),
        data=payload.to_data(),
        aggseq=aggseq,
        prevhash=GENESIS_HASH,
        extra_headers=INJECTED,
    ).sealed()


def _paid(
    lease_id: uuid.UUID, lessee: uuid.UUID, kind: str, period: int, due: date, amount: str
) -> InstallmentPaid:
    return InstallmentPaid(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        occurred_at=datetime.now(UTC),
        period=period,
        kind=kind,
        due_date=due,
        amount=Decimal(amount),
        penalty=Decimal("0.00"),
        paid_on=due,
    )


async def test_activation_and_payment_yield_one_claim_however_often_delivered(
    subsidy: Any, company: Any
) -> None:
    participant = await company("110105")
    lease_id = uuid.uuid4()
    payload = _activated(lease_id, participant)
    paid = _paid(lease_id, participant, "installment", 1, date(2025, 4, 1), "904500.00")
    first = _envelope(payload, aggseq=7)
    republished = _envelope(payload, aggseq=7)  # same fact, another event id
    paid_first = _envelope(paid, aggseq=8)
    paid_again = _envelope(paid, aggseq=8)
    producer = make_producer(KAFKA, client_id="subsidy-test")
    await producer.start()
    try:
        for envelope in (first, first, republished, paid_first, paid_again):
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
                            inbox.c.event_id.in_(
                                [first.id, republished.id, paid_first.id, paid_again.id]
                            )
                        )
                    )
                ).scalars()
            )
        return ids == {first.id, republished.id, paid_first.id, paid_again.id}

    await eventually(both_handled, timeout=20)
    found = await claims()
    assert len(found) == 1
    # rate support on the one instalment: min(interest 4,500.00, 900,000 x 5 % / 12)
    assert found[0].entitled == Decimal("3750.00")
    assert found[0].policy == "beijing_financing_lease"
    assert found[0].earned_on == date(2026, 1, 1)


def _closed_booking(booking_id: uuid.UUID, customer: uuid.UUID) -> BookingClosed:
    start = datetime(2025, 12, 30, 1, 0, tzinfo=UTC)
    end = datetime(2026, 1, 2, 1, 0, tzinfo=UTC)
    zero = Decimal("0.00")
    return BookingClosed(
        booking_id=booking_id,
        offering_id=uuid.uuid4(),
        customer_participant_id=customer,
        lessor_participant_id=uuid.uuid4(),
        mode="short_term",
        equipment_category="humanoid",
        kit_id=None,
        unit_ids=(uuid.uuid4(),),
        start=start,
        end=end,
        reserved_from=start,
        reserved_until=end,
        status="closed",
        overdue=False,
        expires_at=start,
        price_lines=(
            QuoteLine(
                unit="day", quantity=3, unit_price=Decimal("6666.67"), amount=Decimal("20000.01")
            ),
        ),
        rental_price=Decimal("20000.01"),
        deposit=zero,
        late_fee=zero,
        damage_charges=zero,
        cancellation_fee=zero,
        deposit_refund=zero,
        balance_due=zero,
        # 2026-01-02 03:00 in the park (UTC+8): the price falls due in 2026
        occurred_at=datetime(2026, 1, 1, 19, 0, tzinfo=UTC),
    )


async def test_a_closed_short_term_rental_in_xiongan_earns_10_percent(
    subsidy: Any, company: Any
) -> None:
    participant = await company("130638", "Xiong'an Events Co.")
    booking_id = uuid.uuid4()
    payload = _closed_booking(booking_id, participant)
    envelope = Envelope(
        id=uuid7(),
        source="/datapark/rental",
        type=payload.event_type,
        subject=payload.aggregate_id(),
        time=payload.occurred_at,
        data=payload.to_data(),
        aggseq=8,
        prevhash=GENESIS_HASH,
    ).sealed()
    producer = make_producer(KAFKA, client_id="subsidy-test")
    await producer.start()
    try:
        await producer.send_and_wait(
            payload.topic, envelope.value(), key=envelope.key, headers=envelope.headers()
        )
    finally:
        await producer.stop()

    async def claims() -> list[Claim]:
        async with subsidy.app.state.database.unit_of_work() as session:
            return list(
                (await session.execute(select(Claim).where(Claim.lease_id == booking_id))).scalars()
            )

    found = await eventually(claims, timeout=20)
    assert [(c.policy, c.period, c.entitled) for c in found] == [
        ("xiongan_robot_leasing", "2026", Decimal("2000.00"))
    ]  # 20,000.01 x 10 % = 2,000.001


def _invoice(
    lease_id: uuid.UUID, lessee: uuid.UUID, month: str, due: date, amount: str
) -> LeaseUsageInvoiced:
    return LeaseUsageInvoiced(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        occurred_at=datetime.now(UTC),
        month=month,
        period=1,
        usage=Decimal("6"),
        usage_unit="procedure",
        unit_price=Decimal("5000.00"),
        usage_amount=Decimal(amount),
        monthly_minimum=Decimal("20000.00"),
        amount=Decimal(amount),
        due_date=due,
    )


async def test_a_service_lease_earns_on_its_paid_usage_invoices_in_the_year_they_fall_due(
    subsidy: Any, company: Any
) -> None:
    participant = await company("130629", "Rongcheng Hospital Services Co.")
    lease_id = uuid.uuid4()
    activation = _activated(lease_id, participant).model_copy(
        update={"mode": "service_lease", "equipment_category": RobotCategory.SURGICAL}
    )
    december = _invoice(lease_id, participant, "2025-12", date(2025, 12, 31), "30000.00")
    january = _invoice(lease_id, participant, "2026-01", date(2026, 1, 31), "40000.00")
    january = january.model_copy(update={"period": 2})
    december_paid = _paid(lease_id, participant, "usage", 1, date(2025, 12, 31), "30000.00")
    january_paid = _paid(lease_id, participant, "usage", 2, date(2026, 1, 31), "40000.00")
    payloads: list[EventPayload] = [
        activation,
        december,
        january,
        december,  # the December invoice republished
        december_paid,
        january_paid,
    ]
    envelopes = [_envelope(p, 7 + i) for i, p in enumerate(payloads)]
    producer = make_producer(KAFKA, client_id="subsidy-test")
    await producer.start()
    try:
        for envelope, payload in zip(envelopes, payloads, strict=True):
            await producer.send_and_wait(
                payload.topic, envelope.value(), key=envelope.key, headers=envelope.headers()
            )
    finally:
        await producer.stop()

    inbox = EVENTING.inbox

    async def all_handled() -> bool:
        async with subsidy.app.state.database.unit_of_work() as session:
            ids = set(
                (
                    await session.execute(
                        select(inbox.c.event_id).where(
                            inbox.c.event_id.in_([e.id for e in envelopes])
                        )
                    )
                ).scalars()
            )
        return len(ids) == len(envelopes)

    await eventually(all_handled, timeout=30)
    async with subsidy.app.state.database.unit_of_work() as session:
        found = list(
            (
                await session.execute(
                    select(Claim).where(Claim.lease_id == lease_id).order_by(Claim.period)
                )
            ).scalars()
        )
    # paid usage invoices accrue the year they fall due in: one claim per year
    assert [(c.policy, c.period, c.basis, c.entitled) for c in found] == [
        ("xiongan_robot_leasing", "2025", "schedule", Decimal("3000.00")),
        ("xiongan_robot_leasing", "2026", "schedule", Decimal("4000.00")),
    ]
