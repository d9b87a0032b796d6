"""Dated parameters of leasing finance: VAT rates and 1-year LPR fixings (``domain/leasing.md``).

A parameter is a table of values each in force from a date until the next one; a rule asks
for the value in force on a day (a receivable's due date, a repricing anniversary). A new LPR
fixing or a VAT rate change is one more row here, never a change to the rules that read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from datapark_kit.errors import Unprocessable


@dataclass(frozen=True)
class DatedParameter:
    """``values``: (effective from, value) pairs, oldest first."""

    name: str
    values: tuple[tuple[date, Decimal], ...]

    def __post_init__(self) -> None:
        days = [day for day, _ in self.values]
        if not days or days != sorted(set(days)):
            raise ValueError(f"{self.name}: dates must be unique and ascending")

    @property
    def first_day(self) -> date:
        return self.values[0][0]

    def at(self, day: date, *, field: str) -> Decimal:
        """The value in force on ``day``; a day before the first value is a 422 on ``field``."""
        found: Decimal | None = None
        for effective_from, value in self.values:
            if effective_from > day:
                break
            found = value
        if found is None:
            raise Unprocessable(
                f"no {self.name} is on record for {day.isoformat()} "
                f"(the first is from {self.first_day.isoformat()})",
                field=field,
            )
        return found


LPR_1Y = DatedParameter(
    "1-year LPR fixing",
    (
        (date(2023, 8, 21), Decimal("0.0345")),
        (date(2024, 7, 22), Decimal("0.0335")),
        (date(2024, 10, 21), Decimal("0.0310")),
        (date(2025, 5, 20), Decimal("0.0300")),
    ),
)
"""The 1-year Loan Prime Rate as leasing.md pins it (in force from each fixing's date)."""


class VatBasis(StrEnum):
    """What of a receivable is taxed (增值税)."""

    WHOLE_RENT = "whole_rent"
    """有形动产融资租赁 / 经营租赁: the whole rent (principal and interest), and penalties."""
    INTEREST_ONLY = "interest_only"
    """融资性售后回租 is a loan service: interest (and penalties, fees) only, not principal."""


VAT_RATES: dict[VatBasis, DatedParameter] = {
    VatBasis.WHOLE_RENT: DatedParameter(
        "VAT rate on leases of movable tangible goods",
        (
            (date(2013, 8, 1), Decimal("0.17")),  # 营改增: leases of movable goods, nationwide
            (date(2018, 5, 1), Decimal("0.16")),
            (date(2019, 4, 1), Decimal("0.13")),
        ),
    ),
    VatBasis.INTEREST_ONLY: DatedParameter(
        # Loan services paid business tax, not VAT, before 2016-05-01.
        "VAT rate on loan services",
        ((date(2016, 5, 1), Decimal("0.06")),),
    ),
}


def vat_rate(basis: VatBasis, day: date, *, field: str = "start_date") -> Decimal:
    return VAT_RATES[basis].at(day, field=field)


def lpr(day: date, *, field: str = "start_date") -> Decimal:
    return LPR_1Y.at(day, field=field)
