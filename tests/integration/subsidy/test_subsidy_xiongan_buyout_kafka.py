"""Over real Kafka: a Xiong'an lease running across two year ends and bought out early yields
exactly the claims the readings say.

Rental's facts (activation with its schedule, each instalment falling due and being paid, the
buyout payment, ``lease.bought_out``) are published through rental's own outbox, in the order
rental would publish them, dated in the past (rental's HTTP API only records what happens
today). Subsidy's consumer takes them from Kafka.

The lease: activated 2024-12-15; 36 monthly instalments of 10,000.00 on the 15th from
2025-01-15 and a 100,000.00 balloon with the last; a 0 % promotional rate. 2025's instalments
are paid (December's late, on 2026-01-05, before anyone decided 2025's claim); January and
February 2026 are paid; the lessee buys the robot out on 2026-02-20, which settles the rest.

The readings (``xiongan_robot_leasing``, shared/domain/subsidies.md):
- 2024: nothing fell due (and the policy is in force from 2025-01-01).
- 2025: 12 x 10,000.00 = 120,000.00 x 10 % = 12,000.00, earned at the year's end (2026-01-01).
- 2026: 2 x 10,000.00 = 20,000.00 x 10 % = 2,000.00, earned on the buyout day (2026-02-20).
- 2027: nothing: the balloon and the later instalments fall due after the lease ended; the
  buyout amount and price are not lease payments; a buyout is not a termination, so nothing
  is clawed back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from support.helpers import eventually

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.catalog_listings import RobotCategory
from datapark_contracts.events.rental import (
    InstallmentFellDue,
    InstallmentPaid,
    LeaseActivated,
    LeaseBoughtOut,
    LeasePaymentReceived,
    ScheduledPayment,
)
from datapark_contracts.payloads import EventPayload
from datapark_rental.tables import OUTBOX as RENTAL_OUTBOX
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.tables import EVENTING

pytestmark = pytest.mark.integration
ZERO = Decimal("0.00")
TEN_THOUSAND = Decimal("10000.00")


def _at(day: date) -> datetime:
    """10:00 in the park (Asia/Shanghai) on ``day``."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _due(period: int) -> date:
    month = period - 1  # period 1 falls due on 2025-01-15
    return date(2025 + month // 12, month % 12 + 1, 15)


def _schedule() -> tuple[ScheduledPayment, ...]:
    balance = Decimal("460000.00")
    rows = []
    for period in range(1, 37):
        balance -= TEN_THOUSAND
        rows.append(
            ScheduledPayment(
                period=period,
                due_date=_due(period),
                payment=TEN_THOUSAND,
                interest=ZERO,
                principal=TEN_THOUSAND,
                balance=balance,
            )
        )
    return tuple(rows)


def _snapshot(
    kind: type[LeaseActivated] | type[LeaseBoughtOut],
    lease_id: uuid.UUID,
    lessee: uuid.UUID,
    state: str,
    occurred_at: datetime,
    **extra: Any,
) -> EventPayload:
    return kind(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        lessor_participant_id=uuid.UUID(int=7),
        offering_id=uuid.uuid4(),
        kit_id=None,
        unit_ids=(uuid.uuid4(),),
        mode="financing_lease",
        equipment_category=RobotCategory.INDUSTRIAL_ARM,
        equipment_cost=Decimal("500000.00"),
        down_payment=Decimal("40000.00"),
        financed_principal=Decimal("460000.00"),
        balloon=Decimal("100000.00"),
        buyout_price=Decimal("1000.00"),
        deposit=Decimal("20000.00"),
        fees=Decimal("3000.00"),
        annual_rate=ZERO,
        apr=ZERO,
        term_months=36,
        amortization="annuity",
        start_date=date(2024, 12, 15),
        schedule=_schedule(),
        state=state,
        activated_on=date(2024, 12, 15),
        terminated_on=None,
        delinquency_bucket="0",
        occurred_at=occurred_at,
        **extra,
    )


def _fell_due(lease_id: uuid.UUID, lessee: uuid.UUID, period: int) -> InstallmentFellDue:
    return InstallmentFellDue(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        occurred_at=_at(_due(period)),
        period=period,
        kind="installment",
        due_date=_due(period),
        amount=TEN_THOUSAND,
        principal=TEN_THOUSAND,
        interest=ZERO,
    )


def _paid(lease_id: uuid.UUID, lessee: uuid.UUID, period: int, on: date) -> InstallmentPaid:
    return InstallmentPaid(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        occurred_at=_at(on),
        period=period,
        kind="installment",
        due_date=_due(period),
        amount=TEN_THOUSAND,
        penalty=ZERO,
        paid_on=on,
    )


def _history(lease_id: uuid.UUID, lessee: uuid.UUID) -> list[EventPayload]:
    events: list[EventPayload] = [
        _snapshot(LeaseActivated, lease_id, lessee, "active", _at(date(2024, 12, 15)))
    ]
    for period in range(1, 12):  # January .. November 2025, each paid on its due date
        events += [
            _fell_due(lease_id, lessee, period),
            _paid(lease_id, lessee, period, _due(period)),
        ]
    events.append(_fell_due(lease_id, lessee, 12))  # December 2025 falls due ...
    events.append(_paid(lease_id, lessee, 12, date(2026, 1, 5)))  # ... and is paid late
    for period in (13, 14):  # January and February 2026
        events += [
            _fell_due(lease_id, lessee, period),
            _paid(lease_id, lessee, period, _due(period)),
        ]
    buyout_day = date(2026, 2, 20)
    items = {
        "outstanding_principal": Decimal("320000.00"),
        "accrued_interest": ZERO,
        "termination_fee": Decimal("2000.00"),
        "deposit_offset": Decimal("-20000.00"),
        "buyout_price": Decimal("1000.00"),
        "refund": ZERO,
    }
    events.append(
        LeasePaymentReceived(
            lease_id=lease_id,
            lessee_participant_id=lessee,
            occurred_at=_at(buyout_day),
            payment_id=uuid.uuid4(),
            purpose="buyout",
            amount=Decimal("303000.00"),
            paid_on=buyout_day,
            allocations=(),
            credit_after=ZERO,
        )
    )
    # a consumer must not take the buyout's settlement of later instalments as their payment
    events.append(_paid(lease_id, lessee, 15, buyout_day))
    events.append(
        _snapshot(
            LeaseBoughtOut,
            lease_id,
            lessee,
            "paid_off",
            _at(buyout_day),
            amount=Decimal("303000.00"),
            items=items,
        )
    )
    return events


async def test_a_xiongan_lease_across_two_year_ends_bought_out_early(
    rental: Any, subsidy: Any, company: Any, token: Any
) -> None:
    lessee = await company("130632", "Xiong'an Smart Logistics Co.")
    lease_id = uuid.uuid4()
    published: list[Envelope] = []
    async with rental.app.state.database.unit_of_work() as session:
        for payload in _history(lease_id, lessee):
            published.append(
                await RENTAL_OUTBOX.append(
                    session,
                    payload,
                    occurred_at=payload.occurred_at,  # type: ignore[attr-defined]
                )
            )
    last = published[-1]  # lease.bought_out: the last record subsidy acts on
    inbox = EVENTING.inbox

    async def handled() -> bool:
        async with subsidy.app.state.database.unit_of_work() as session:
            found = await session.execute(
                select(inbox.c.event_id).where(inbox.c.event_id == last.id)
            )
            return found.first() is not None

    await eventually(handled, timeout=120, interval=0.25)
    async with subsidy.app.state.database.unit_of_work() as session:
        claims = list(
            (
                await session.execute(
                    select(Claim).where(Claim.lease_id == lease_id).order_by(Claim.period)
                )
            ).scalars()
        )
    assert [(c.policy, c.period, c.basis, c.entitled, c.earned_on, c.status) for c in claims] == [
        (
            "xiongan_robot_leasing",
            "2025",
            "schedule",
            Decimal("12000.00"),
            date(2026, 1, 1),
            "under_review",
        ),
        (
            "xiongan_robot_leasing",
            "2026",
            "schedule",
            Decimal("2000.00"),
            date(2026, 2, 20),
            "under_review",
        ),
    ]
    steps_2026 = "\n".join(claims[1].explanation["steps"])
    assert "the lease ended (bought_out) on 2026-02-20: accrual stops there" in steps_2026
    assert "2 totalling 20000.00" in steps_2026
    steps_2025 = "\n".join(claims[0].explanation["steps"])
    assert "12 totalling 120000.00" in steps_2025

    # both are earned: the reviewer approves and pays them; the budgets hold exactly that
    reviewer = token("reviewer")
    for claim in claims:
        reviewed = await subsidy.post(
            f"/v1/claims/{claim.id}/review", json={"decision": "approve"}, headers=reviewer
        )
        assert reviewed.status_code == 200, reviewed.text
        paid = await subsidy.post(
            f"/v1/claims/{claim.id}/disburse",
            json={"payment_reference": f"XA-{claim.period}"},
            headers=reviewer,
        )
        assert paid.json()["status"] == "disbursed"
    budgets = (
        await subsidy.get("/v1/budgets", params={"participant_id": str(lessee)}, headers=reviewer)
    ).json()["items"]
    assert sorted((b["period"], b["committed"]["amount"]) for b in budgets) == [
        ("2025", "12000.00"),
        ("2026", "2000.00"),
    ]
    # the old reading would have promised 36 x 1,000.00 + 10,000.00 (balloon) = 46,000.00
    assert sum((c.entitled for c in claims), Decimal(0)) == Decimal("14000.00")
