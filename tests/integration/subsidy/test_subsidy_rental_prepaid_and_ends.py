"""Rental and subsidy end to end over the real Kafka (#11): leases made over rental's HTTP API,
rental's own sweep and buyout publishing through its outbox, subsidy's consumer accruing.

- A Beijing lessee pays two instalments ahead: the prepayment alone earns nothing; each
  instalment earns its rate support in the year it falls due, once rental's sweep applies the
  held credit on its due date (``installment_paid`` dated that day).
- A lease bought out on a back-dated value date ends, for subsidy, on that date (rental's
  ``ended_on``), not on the day the event arrived: the instalment the buyout paid (it fell due
  before) earns, and the year's claim is earned on the buyout date.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from integration.rental.rental_park import Park
from integration.rental.test_rental_lease_ends import sweep_lease
from integration.rental.test_rental_lease_finance import Lessor, a_lessor
from sqlalchemy import select
from support.helpers import eventually

from datapark_subsidy.claims.models import Claim
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord
from datapark_subsidy.tables import PARTICIPANTS

pytestmark = pytest.mark.integration
D = Decimal
TODAY = datetime.now(UTC).date()


async def _in_subsidy(subsidy: Any, statement: Any) -> list[Any]:
    async with subsidy.app.state.database.unit_of_work() as session:
        return list((await session.execute(statement)).all())


async def _beijing_lessee(park: Park, subsidy: Any) -> tuple[uuid.UUID, dict[str, str]]:
    lessee_id, lessee = await park.company()  # registered in 110105, Beijing Chaoyang
    await eventually(
        lambda: _in_subsidy(
            subsidy, select(PARTICIPANTS.c.id).where(PARTICIPANTS.c.id == lessee_id)
        ),
        timeout=240,
        interval=0.25,
    )
    return lessee_id, lessee


def _support(interest: str, opening: Decimal) -> Decimal:
    """min(interest, opening balance x 5 % / 12), half-up to the fen."""
    ceiling = (opening * D("0.05") / 12).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return min(D(interest), ceiling)


@pytest.fixture(scope="module")
async def lessor(catalog: Any, rental: Any, token: Any) -> Lessor:
    return await a_lessor(Park(catalog, rental, token))


async def _claims(subsidy: Any, lease_id: uuid.UUID) -> list[Claim]:
    rows = await _in_subsidy(subsidy, select(Claim).where(Claim.lease_id == lease_id))
    return [c for (c,) in rows]


async def test_prepaid_instalments_earn_in_the_year_each_falls_due(
    lessor: Lessor, subsidy: Any
) -> None:
    lessee_id, lessee = await _beijing_lessee(lessor.park, subsidy)
    lease = await lessor.active(lessee, TODAY)
    lease_id = uuid.UUID(lease["id"])
    first, second = lease["schedule"][:2]
    # leasing.md test vector 1: 900,000 at 6 %; period 1 interest 4,500.00 on 900,000.00,
    # period 2 interest 4,385.60 on 877,120.26
    assert (first["interest"]["amount"], second["interest"]["amount"]) == ("4500.00", "4385.60")
    await eventually(
        lambda: _in_subsidy(
            subsidy,
            select(LeaseReceivableRecord).where(LeaseReceivableRecord.lease_id == lease_id),
        ),
        timeout=30,
        interval=0.1,
    )

    ahead = {
        "amount": str(D(first["payment"]["amount"]) + D(second["payment"]["amount"])),
        "currency": "CNY",
    }
    paid = await lessor.rental.post(
        f"/v1/leases/{lease_id}/payments", headers=lessee, json={"amount": ahead}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["credit_after"] == ahead  # held: nothing has fallen due

    due_1, due_2 = date.fromisoformat(first["due_date"]), date.fromisoformat(second["due_date"])
    await sweep_lease(lessor.rental, str(lease_id), due_1)
    await sweep_lease(lessor.rental, str(lease_id), due_2)

    expected: dict[str, Decimal] = defaultdict(Decimal)
    # 4,500.00 vs 900,000.00 x 5 % / 12 = 3,750.00 -> 3,750.00
    expected[str(due_1.year)] += _support("4500.00", D("900000.00"))
    # 4,385.60 vs 877,120.26 x 5 % / 12 = 3,654.6675 -> 3,654.67
    expected[str(due_2.year)] += _support("4385.60", D("877120.26"))
    assert _support("4385.60", D("877120.26")) == D("3654.67")

    async def both_earned() -> list[Claim] | None:
        claims = await _claims(subsidy, lease_id)
        return claims if {c.period: c.entitled for c in claims} == dict(expected) else None

    claims = await eventually(both_earned, timeout=30, interval=0.2)
    for claim in claims:
        assert (claim.policy, claim.participant_id) == ("beijing_financing_lease", lessee_id)
        assert claim.earned_on == date(int(claim.period) + 1, 1, 1)
    receivables = {
        r.period: r
        for (r,) in await _in_subsidy(
            subsidy,
            select(LeaseReceivableRecord).where(LeaseReceivableRecord.lease_id == lease_id),
        )
    }
    # paid on the day each fell due (the credit was applied then), not on the prepayment day
    assert (receivables[1].paid_on, receivables[2].paid_on) == (due_1, due_2)
    assert receivables[3].paid_on is None


async def test_a_back_dated_buyout_ends_the_lease_on_its_value_date(
    lessor: Lessor, subsidy: Any
) -> None:
    lessee_id, lessee = await _beijing_lessee(lessor.park, subsidy)
    lease = await lessor.active(lessee, TODAY - timedelta(days=40))
    lease_id = uuid.UUID(lease["id"])
    path = f"/v1/leases/{lease_id}"
    first_due = date.fromisoformat(lease["schedule"][0]["due_date"])
    on = first_due + timedelta(days=2)
    assert on < TODAY  # the event arrives days after the lease ended
    quote = (await lessor.rental.get(f"{path}/buyout-quote?on={on}", headers=lessee)).json()
    bought = await lessor.rental.post(
        f"{path}/buyout", headers=lessor.headers, json={"amount": quote["total"], "on": str(on)}
    )
    assert bought.status_code == 200, bought.text

    async def ended() -> LeaseRecord | None:
        rows = await _in_subsidy(subsidy, select(LeaseRecord).where(LeaseRecord.id == lease_id))
        return rows[0][0] if rows and rows[0][0].ended_on is not None else None

    record = await eventually(ended, timeout=30, interval=0.2)
    assert (record.ended_on, record.end_reason) == (on, "bought_out")

    async def earned() -> list[Claim] | None:
        claims = await _claims(subsidy, lease_id)
        return claims if claims and claims[0].earned_on == _year_or_end(first_due, on) else None

    (claim,) = await eventually(earned, timeout=30, interval=0.2)
    # instalment 1 fell due before the buyout and the buyout paid it: 3,750.00 (5/6 of 4,500)
    assert (claim.participant_id, claim.policy, claim.period, claim.entitled) == (
        lessee_id,
        "beijing_financing_lease",
        str(first_due.year),
        D("3750.00"),
    )


def _year_or_end(due: date, ended_on: date) -> date:
    """When the claim of ``due``'s year is earned: the lease's end if within that year."""
    year_end = date(due.year + 1, 1, 1)
    return ended_on if ended_on < year_end else year_end
