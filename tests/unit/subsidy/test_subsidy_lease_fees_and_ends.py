"""What subsidy reads of rental's newer lease snapshot fields: the date a lease ended
(``ended_on``, whatever the day rental published it) and each instalment's share of the upfront
fees (``fees``), which Beijing's rate support counts as financing cost beside the interest:
min(interest + fees, opening financed balance x 5 % / 12), checked by hand below."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from datapark_contracts.events import rental
from datapark_contracts.events.catalog_listings import RobotCategory
from datapark_subsidy.claims.eligibility import beijing_financing_lease
from datapark_subsidy.leases.handlers import end_date, schedule_receivables
from datapark_subsidy.terms.assessment import Entitlement, LeaseFacts, Lessee
from datapark_subsidy.terms.parameters import load_parameters

D = Decimal
PARAMS = load_parameters()
BEIJING = Lessee("P1", "110105")


def _payment(
    period: int, due: date, interest: str, principal: str, balance: str, fees: str
) -> rental.ScheduledPayment:
    return rental.ScheduledPayment(
        period=period,
        due_date=due,
        payment=D(interest) + D(principal),
        interest=D(interest),
        principal=D(principal),
        balance=D(balance),
        fees=D(fees),
    )


def _snapshot(
    event: type[rental.LeaseSnapshot] = rental.LeaseActivated,
    *,
    interests: tuple[str, str] = ("2250.00", "2190.00"),
    fees: str = "500.00",
    **changes: object,
) -> rental.LeaseSnapshot:
    """900,000.00 financed over 36 months, 18,000.00 of upfront fees (500.00 an instalment);
    periods 1 and 2 with a principal of 24,000.00 each (opening 900,000.00 then 876,000.00)."""
    fields: dict[str, object] = {
        "lease_id": uuid.uuid4(),
        "lessee_participant_id": uuid.uuid4(),
        "lessor_participant_id": uuid.uuid4(),
        "offering_id": uuid.uuid4(),
        "kit_id": None,
        "unit_ids": (uuid.uuid4(),),
        "mode": "financing_lease",
        "equipment_category": RobotCategory.INDUSTRIAL_ARM,
        "equipment_cost": D("1000000.00"),
        "down_payment": D("100000.00"),
        "financed_principal": D("900000.00"),
        "balloon": D("0.00"),
        "buyout_price": D("0.00"),
        "deposit": D("0.00"),
        "fees": D("18000.00"),
        "annual_rate": D("0.03"),
        "apr": D("0.0430"),
        "term_months": 36,
        "amortization": "equal_principal",
        "start_date": date(2025, 3, 1),
        "schedule": (
            _payment(1, date(2025, 4, 1), interests[0], "24000.00", "876000.00", fees),
            _payment(2, date(2025, 5, 1), interests[1], "24000.00", "852000.00", fees),
        ),
        "state": "active",
        "activated_on": date(2025, 3, 1),
        "terminated_on": None,
        "delinquency_bucket": "0",
        "occurred_at": datetime(2025, 3, 1, 2, tzinfo=UTC),
    } | changes
    extra: dict[str, object] = {}
    if event is rental.LeaseBoughtOut:
        extra = {"amount": D("0.00"), "items": {}}
    return event.model_validate(fields | extra)


def _support(snapshot: rental.LeaseSnapshot) -> Entitlement:
    receivables = tuple(replace(r, paid_on=r.due_on) for r in schedule_receivables(snapshot))
    facts = LeaseFacts(
        lease_id="L1",
        participant_id="P1",
        mode=snapshot.mode,
        equipment_category=snapshot.equipment_category.value,
        cost=snapshot.equipment_cost,
        down_payment=snapshot.down_payment,
        activated_on=date(2025, 3, 1),
        receivables=receivables,
    )
    result = beijing_financing_lease(facts, BEIJING, PARAMS)
    assert isinstance(result, tuple), result
    (entitlement,) = result
    return entitlement


def test_each_instalment_carries_its_share_of_the_fees_as_financing_cost() -> None:
    receivables = schedule_receivables(_snapshot())
    assert [(r.period, r.amount, r.interest, r.fees, r.opening_balance) for r in receivables] == [
        (1, D("26250.00"), D("2250.00"), D("500.00"), D("900000.00")),
        (2, D("26190.00"), D("2190.00"), D("500.00"), D("876000.00")),
    ]


def test_a_3_percent_lease_with_fees_earns_its_interest_and_fees() -> None:
    # period 1: interest 900,000 x 3 % / 12 = 2,250.00, + fees 500.00 = 2,750.00;
    #           ceiling 900,000 x 5 % / 12 = 3,750.00 -> 2,750.00
    # period 2: interest 876,000 x 3 % / 12 = 2,190.00, + fees 500.00 = 2,690.00;
    #           ceiling 876,000 x 5 % / 12 = 3,650.00 -> 2,690.00
    entitlement = _support(_snapshot())
    assert (entitlement.period, entitlement.amount) == ("2025", D("5440.00"))
    assert any("+ fees 500.00 = 2750.00" in step for step in entitlement.explanation.steps)


def test_fees_lift_a_4_5_percent_lease_to_the_ceiling_and_no_further() -> None:
    # period 1: 900,000 x 4.5 % / 12 = 3,375.00 + 500.00 = 3,875.00 > 3,750.00 -> 3,750.00
    # period 2: 876,000 x 4.5 % / 12 = 3,285.00 + 500.00 = 3,785.00 > 3,650.00 -> 3,650.00
    with_fees = _support(_snapshot(interests=("3375.00", "3285.00")))
    assert with_fees.amount == D("7400.00")
    # the same lease without fees: 3,375.00 + 3,285.00 = 6,660.00 (both below the ceiling)
    without = _support(_snapshot(interests=("3375.00", "3285.00"), fees="0.00"))
    assert without.amount == D("6660.00")


def test_a_snapshot_of_the_earlier_schema_has_no_fees_and_no_end_date() -> None:
    earlier = _snapshot().model_dump(mode="json")
    for row in earlier["schedule"]:
        del row["fees"]
    del earlier["ended_on"]
    read = rental.LeaseActivated.model_validate(earlier)
    assert [r.fees for r in schedule_receivables(read)] == [D("0.00"), D("0.00")]
    assert read.ended_on is None


def test_a_lease_ends_on_rentals_end_date_not_on_the_day_it_was_published() -> None:
    # bought out on 14 May 2026 (a back-dated buyout), published on 2 June 2026
    bought_out = _snapshot(
        rental.LeaseBoughtOut,
        state="paid_off",
        ended_on=date(2026, 5, 14),
        occurred_at=datetime(2026, 6, 2, 3, tzinfo=UTC),
    )
    assert end_date(bought_out) == date(2026, 5, 14)
    # repossession after a termination: rental keeps the termination's date as the end
    repossessed = _snapshot(
        rental.LeaseRepossessed,
        state="repossessed",
        terminated_on=date(2026, 3, 31),
        ended_on=date(2026, 3, 31),
        occurred_at=datetime(2026, 4, 20, 3, tzinfo=UTC),
    )
    assert end_date(repossessed) == date(2026, 3, 31)
    # without ended_on (earlier schema): the park date it was reported
    earlier = _snapshot(rental.LeaseReturned, occurred_at=datetime(2026, 2, 19, 17, 30, tzinfo=UTC))
    assert end_date(earlier) == date(2026, 2, 20)
