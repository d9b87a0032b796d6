"""Straight-line depreciation and amortisation by whole months.

It serves a robot unit's appraised value (whole months from its in-service day). The
amortisation of a data resource booked as an intangible asset follows CAS 6's month rule instead
(from the month it is ready for use, charged at each month's end): see ``balance_sheet``.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable


def months_elapsed(start: date, as_of: date) -> int:
    """Whole months from ``start`` to ``as_of`` (0 before the first monthiversary).

    A month is complete on the same day-of-month, or on the last day of a shorter month
    (31 January → 29 February counts as one month). ``as_of`` before ``start`` gives 0.
    """
    if as_of <= start:
        return 0
    months = (as_of.year - start.year) * 12 + (as_of.month - start.month)
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    if as_of.day < start.day and as_of.day != last_day:
        months -= 1
    return max(months, 0)


def straight_line_value(
    cost: Decimal,
    salvage: Decimal,
    useful_life_months: int,
    start: date,
    as_of: date,
) -> Decimal:
    """Value at ``as_of`` after straight-line depreciation from ``start``.

    value = cost − (cost − salvage) × min(m, life) / life, rounded half-up to 0.01 once, so
    the value reaches the salvage exactly at the end of the useful life and never goes below.
    """
    if useful_life_months <= 0:
        raise Unprocessable("useful life must be at least one month", field="useful_life_months")
    if salvage > cost:
        raise Unprocessable("salvage value must not exceed the cost", field="salvage_value")
    months = min(months_elapsed(start, as_of), useful_life_months)
    depreciation = (cost - salvage) * Decimal(months) / Decimal(useful_life_months)
    return to_fen(cost - depreciation)
