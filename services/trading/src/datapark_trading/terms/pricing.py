"""Price terms of a trade and what they cost: fixed, subscription by period, metered.

The three forms seen on the exchanges (一口价, 订阅, 按量计费). Each says how much buyer money is
locked in escrow when the agreement is concluded (``lock_amount``) and, for the forms paid in
instalments, how much of that lock a period or a batch of use claims.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_trading.terms.money import Money


class MeterUnit(StrEnum):
    """What metered use is counted in."""

    CALL = "call"
    RECORD = "record"
    MEGABYTE = "megabyte"


@dataclass(frozen=True, slots=True)
class FixedPrice:
    """One payment for the whole delivery; released on confirmed receipt."""

    price: Money

    def __post_init__(self) -> None:
        if self.price.amount <= 0:
            raise Unprocessable("a fixed price must be greater than zero", field="price")

    @property
    def currency(self) -> str:
        return self.price.currency

    def lock_amount(self) -> Money:
        return self.price


@dataclass(frozen=True, slots=True)
class Subscription:
    """``periods`` consecutive periods of ``period_months`` calendar months, paid per period."""

    price_per_period: Money
    period_months: int
    periods: int

    def __post_init__(self) -> None:
        if self.price_per_period.amount <= 0:
            raise Unprocessable("a subscription price must be greater than zero", field="price")
        if not 1 <= self.period_months <= 12:
            raise Unprocessable("a period is 1 to 12 months", field="period_months")
        if not 1 <= self.periods <= 120:
            raise Unprocessable("a subscription runs 1 to 120 periods", field="periods")

    @property
    def currency(self) -> str:
        return self.price_per_period.currency

    def lock_amount(self) -> Money:
        return Money(to_fen(self.price_per_period.amount * self.periods), self.currency)

    def period(self, start: datetime, index: int) -> tuple[datetime, datetime]:
        """The half-open bounds ``[from, to)`` of period ``index`` (0-based)."""
        if not 0 <= index < self.periods:
            raise Unprocessable(f"period {index} is outside the subscription", field="period")
        return (
            add_months(start, index * self.period_months),
            add_months(start, (index + 1) * self.period_months),
        )

    def end(self, start: datetime) -> datetime:
        return add_months(start, self.periods * self.period_months)

    def periods_begun(self, start: datetime, at: datetime) -> int:
        """How many periods have begun by ``at`` (each is paid when it begins)."""
        return sum(1 for i in range(self.periods) if self.period(start, i)[0] <= at)

    def due_by(self, start: datetime, at: datetime) -> Decimal:
        """What the seller has earned by ``at``: every begun period's price."""
        return to_fen(self.price_per_period.amount * self.periods_begun(start, at))


@dataclass(frozen=True, slots=True)
class Metered:
    """Pay per unit of use, at most ``monthly_cap`` per calendar month, from a locked budget.

    ``unit_price`` may have more than two places (0.005 CNY a call); what is charged is rounded
    to the cent on the month's running total, so the increments always add up to the total.
    ``budget`` is what the buyer locks up front; unused budget is refunded at the end.
    """

    unit: MeterUnit
    unit_price: Decimal
    budget: Money
    monthly_cap: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.unit_price.is_finite() or self.unit_price <= 0:
            raise Unprocessable("a unit price must be greater than zero", field="unit_price")
        if self.budget.amount <= 0:
            raise Unprocessable("a metered budget must be greater than zero", field="budget")
        if self.monthly_cap is not None and (
            self.monthly_cap <= 0 or self.monthly_cap != to_fen(self.monthly_cap)
        ):
            raise Unprocessable(
                "a monthly maximum is a positive amount in cents", field="monthly_cap"
            )

    @property
    def currency(self) -> str:
        return self.budget.currency

    def lock_amount(self) -> Money:
        return self.budget

    def month_charge(self, units: int) -> Decimal:
        """What ``units`` of use within one calendar month cost, capped by the monthly maximum."""
        if units < 0:
            raise Unprocessable("units of use cannot be negative", field="quantity")
        charge = to_fen(self.unit_price * units)
        if self.monthly_cap is not None:
            charge = min(charge, self.monthly_cap)
        return charge

    def increment(self, units_before: int, units_added: int) -> Decimal:
        """The extra charge for ``units_added`` after ``units_before`` in the same month."""
        if units_added <= 0:
            raise Unprocessable("a usage report must count at least one unit", field="quantity")
        return self.month_charge(units_before + units_added) - self.month_charge(units_before)


Pricing = FixedPrice | Subscription | Metered


def month_start(at: datetime) -> datetime:
    """The first instant of ``at``'s calendar month (in ``at``'s zone; we keep UTC)."""
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(at: datetime, months: int) -> datetime:
    """``at`` moved by whole calendar months, the day clamped to the target month's length."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)
