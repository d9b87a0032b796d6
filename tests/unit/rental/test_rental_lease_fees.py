"""Upfront fees spread over the installments as financing cost (what subsidy's rate support
reads beside the interest): even shares rounded down to the fen, the last takes the rest."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from datapark_rental.leases.events import scheduled_payments
from datapark_rental.leases.models import Lease
from datapark_rental.leases.schedule import fee_shares

D = Decimal


def test_fees_spread_evenly_with_the_remainder_on_the_last_installment() -> None:
    assert fee_shares(D("18000.00"), 36) == [D("500.00")] * 36
    assert fee_shares(D("1000.00"), 3) == [D("333.33"), D("333.33"), D("333.34")]
    # rounded down, so the last share is never negative: 0.02 over 4 is 0, 0, 0, 0.02
    assert fee_shares(D("0.02"), 4) == [D("0.00"), D("0.00"), D("0.00"), D("0.02")]
    assert fee_shares(D("0.00"), 2) == [D("0.00"), D("0.00")]
    assert fee_shares(D("1000.00"), 36)[:1] == [D("27.77")]
    assert fee_shares(D("1000.00"), 36)[-1] == D("28.05")  # 1,000.00 − 35 × 27.77
    assert sum(fee_shares(D("1000.00"), 36)) == D("1000.00")


def test_the_published_schedule_carries_each_installments_share_of_the_fees() -> None:
    rows = [
        {
            "period": k,
            "due_date": date(2025, 3 + k, 1).isoformat(),
            "payment": "100.00",
            "interest": "10.00",
            "principal": "90.00",
            "balance": f"{300 - 90 * k:.2f}",
        }
        for k in (1, 2, 3)
    ]
    lease = Lease(id=uuid.uuid4(), fees=D("100.00"), schedule=rows)
    published = scheduled_payments(lease)
    assert [(p.period, p.fees, p.payment) for p in published] == [
        (1, D("33.33"), D("100.00")),
        (2, D("33.33"), D("100.00")),
        (3, D("33.34"), D("100.00")),  # fees never change what the installment asks
    ]
