"""What subsidy reads from rental's lease snapshots: the receivables as scheduled (with the
opening balance rate support is measured against, and the balloon), and every way a lease
ends."""

from __future__ import annotations

import typing
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from datapark_contracts.events import rental
from datapark_contracts.events.catalog_listings import RobotCategory
from datapark_subsidy.leases.handlers import (
    ENDINGS,
    LEASE_REPRICED,
    end_date,
    lease_handlers,
    schedule_receivables,
)
from datapark_subsidy.terms.parameters import load_parameters


def _lease(**changes: object) -> rental.LeaseActivated:
    base = rental.LeaseActivated(
        lease_id=uuid.uuid4(),
        lessee_participant_id=uuid.uuid4(),
        lessor_participant_id=uuid.uuid4(),
        offering_id=uuid.uuid4(),
        kit_id=None,
        unit_ids=(uuid.uuid4(),),
        mode="financing_lease",
        equipment_category=RobotCategory.INDUSTRIAL_ARM,
        equipment_cost=Decimal("1000000.00"),
        down_payment=Decimal("100000.00"),
        financed_principal=Decimal("900000.00"),
        balloon=Decimal("0.00"),
        buyout_price=Decimal("1000.00"),
        deposit=Decimal("50000.00"),
        fees=Decimal("2000.00"),
        annual_rate=Decimal("0.06"),
        apr=Decimal("0.0612"),
        term_months=36,
        amortization="annuity",
        start_date=date(2025, 3, 1),
        # leasing.md test vector 1, periods 1 and 2
        schedule=(
            rental.ScheduledPayment(
                period=1,
                due_date=date(2025, 4, 1),
                payment=Decimal("27379.74"),
                interest=Decimal("4500.00"),
                principal=Decimal("22879.74"),
                balance=Decimal("877120.26"),
            ),
            rental.ScheduledPayment(
                period=2,
                due_date=date(2025, 5, 1),
                payment=Decimal("27379.74"),
                interest=Decimal("4385.60"),
                principal=Decimal("22994.14"),
                balance=Decimal("854126.12"),
            ),
        ),
        state="active",
        activated_on=date(2025, 3, 1),
        terminated_on=None,
        delinquency_bucket="0",
        occurred_at=datetime(2025, 3, 1, 2, tzinfo=UTC),
    )
    return base.model_copy(update=changes)


def test_instalments_carry_their_opening_balance_and_deposits_fees_buyout_never_count() -> None:
    receivables = schedule_receivables(_lease())
    assert [
        (r.kind, r.period, r.due_on, r.amount, r.interest, r.opening_balance) for r in receivables
    ] == [
        # opening = balance after + principal: 877,120.26 + 22,879.74 = 900,000.00
        (
            "installment",
            1,
            date(2025, 4, 1),
            Decimal("27379.74"),
            Decimal("4500.00"),
            Decimal("900000.00"),
        ),
        (
            "installment",
            2,
            date(2025, 5, 1),
            Decimal("27379.74"),
            Decimal("4385.60"),
            Decimal("877120.26"),
        ),
    ]
    assert all(r.paid_on is None for r in receivables)  # nothing is earned at activation


def test_the_balloon_is_a_receivable_due_with_the_last_instalment() -> None:
    receivables = schedule_receivables(_lease(balloon=Decimal("50000.00")))
    balloon = receivables[-1]
    assert (balloon.kind, balloon.period, balloon.due_on, balloon.amount) == (
        "balloon",
        2,
        date(2025, 5, 1),
        Decimal("50000.00"),
    )


def test_a_service_lease_earns_on_its_usage_invoices_not_its_pricing_plan() -> None:
    assert schedule_receivables(_lease(mode="service_lease")) == []


def test_every_way_a_lease_ends_is_consumed() -> None:
    states = set(typing.get_args(rental.LeaseState))
    ending_states = {"terminated", "repossessed", "written_off", "returned", "closed", "paid_off"}
    assert ending_states <= states
    assert set(ENDINGS) == ending_states | {"bought_out"}
    assert ENDINGS["bought_out"] is rental.LeaseBoughtOut
    # a termination ends on its date; others on the day (in the park) rental reported them
    terminated = _lease(terminated_on=date(2025, 9, 30))
    assert end_date(terminated) == date(2025, 9, 30)
    late_evening = _lease(occurred_at=datetime(2026, 2, 19, 17, 30, tzinfo=UTC))
    assert end_date(late_evening) == date(2026, 2, 20)  # 01:30 on the 20th in Beijing


def test_every_lease_fact_subsidy_reads_has_a_handler() -> None:
    handlers = lease_handlers(load_parameters())
    for event in (
        rental.LeaseActivated,
        rental.InstallmentFellDue,
        rental.InstallmentPaid,
        rental.LeaseUsageInvoiced,
        rental.BookingClosed,
        *ENDINGS.values(),
    ):
        assert event.event_type in handlers, event
    assert LEASE_REPRICED in handlers
    repriced = getattr(rental, "LeaseRepriced", None)  # rental's LPR repricing, when present
    if repriced is not None:
        assert repriced.event_type == LEASE_REPRICED
