"""Sample lease events shared by the auditor's and subsidy's tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from datapark_contracts.events.rental import LeaseActivated, ScheduledPayment


def one_month_financing_lease(
    lease_id: uuid.UUID,
    lessee: uuid.UUID,
    *,
    lessor: uuid.UUID,
    start: date,
    occurred_at: datetime,
) -> LeaseActivated:
    """An active financing lease of an industrial arm (cost 1,000,000.00, 100,000.00 down,
    900,000.00 financed at 6%) repaid in one instalment a month after ``start``."""
    due = date(start.year + start.month // 12, start.month % 12 + 1, start.day)
    return LeaseActivated(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        lessor_participant_id=lessor,
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
        start_date=start,
        schedule=(
            ScheduledPayment(
                period=1,
                due_date=due,
                payment=Decimal("904500.00"),
                interest=Decimal("4500.00"),
                principal=Decimal("900000.00"),
                balance=Decimal("0.00"),
            ),
        ),
        state="active",
        activated_on=start,
        terminated_on=None,
        delinquency_bucket="0",
        occurred_at=occurred_at,
    )
