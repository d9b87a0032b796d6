"""The lessor's classification of a lease: finance or operating (IFRS 16 ¶61–66, ASC 842-10-25-2).

Each criterion is recorded with its inputs, so that an auditor can replay the decision:

- ``ownership_transfers`` — a financing lease (融资租赁) transfers title at the end: finance.
- ``variable_payments`` — a service lease is paid per use (with a monthly minimum): the lessor
  keeps the asset's risks and rewards: operating (leasing.md).
- ``present_value_substantially_all`` — the present value of the lease payments (down payment,
  installments, balloon, discounted at the lease's rate) is at least 90 % of the fair value
  (the appraised value); ASC 842's bright line for "substantially all". It makes a long-term
  rental a finance lease; it is recorded for every lease.
- ``sale_and_leaseback`` — the lessee sold its own robot and takes it back at the end: the
  transfer is not a sale (IFRS 16 ¶103, ASC 842-40-25-5), so the lessor holds a financial
  asset (a loan receivable) measured like a finance-lease receivable; classified ``finance``
  with ``lessor_asset: financial_asset`` recorded.

Every comparison uses unrounded values; the ratio is rounded to 4 places for display only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from datapark_contracts.money import to_fen
from datapark_rental.leases.schedule import Schedule, present_value
from datapark_rental.leases.states import LeaseMode

SUBSTANTIALLY_ALL = Decimal("0.90")
DISPLAY = Decimal("0.0001")


class LeaseClass(StrEnum):
    FINANCE = "finance"
    OPERATING = "operating"


@dataclass(frozen=True)
class Classification:
    kind: LeaseClass
    criteria: dict[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in self.criteria.items()}


def classify(
    mode: LeaseMode, schedule: Schedule, fair_value: Decimal, *, sale_and_leaseback: bool
) -> Classification:
    """The lessor's classification of a lease of ``mode`` priced as ``schedule``."""
    payments = schedule.down_payment + present_value(schedule)
    ratio = payments / fair_value
    substantially_all = ratio >= SUBSTANTIALLY_ALL
    ownership = mode is LeaseMode.FINANCING
    variable = mode is LeaseMode.SERVICE
    criteria: dict[str, Any] = {
        "standard": "IFRS 16 / ASC 842",
        "ownership_transfers": ownership,
        "variable_payments": variable,
        "present_value_of_payments": to_fen(payments),
        "fair_value": fair_value,
        "present_value_ratio": ratio.quantize(DISPLAY, rounding=ROUND_HALF_UP),
        "substantially_all_threshold": SUBSTANTIALLY_ALL,
        "present_value_substantially_all": substantially_all,
        "sale_and_leaseback": sale_and_leaseback,
    }
    if sale_and_leaseback:
        criteria["lessor_asset"] = "financial_asset"
        return Classification(LeaseClass.FINANCE, criteria)
    if variable:
        return Classification(LeaseClass.OPERATING, criteria)
    if ownership or substantially_all:
        return Classification(LeaseClass.FINANCE, criteria)
    return Classification(LeaseClass.OPERATING, criteria)
