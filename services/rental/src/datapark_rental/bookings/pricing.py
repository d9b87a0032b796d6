"""Rental quotes: the customer's best price over the offering's rate card, itemised.

- The rental is charged per *started* hour: ``billable_hours = ceil((end − start) / 1 h)``.
- Units are an hour (1 h), a day (24 h), a week (7 days) and a month (30 days). The quote is
  the cheapest multiset of units whose lengths cover ``billable_hours`` (a week at the week
  rate may cover 5 days when that is cheaper than 5 day rates). Found exactly by dynamic
  programming over hours; among equal prices, the fewest units win.
- The deposit is quoted on top; the unit is reserved for the padded period ``[start −
  turnaround_before, end + turnaround_after)`` (cleaning, charging, transport), which is not
  charged.
- A period is refused (422 naming the field) when it is not timezone-aware, when ``end <=
  start``, when it starts in the past or when it is shorter than the offering's minimum or
  longer than its maximum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_rental.terms.money import ZERO, require_money

HOUR = timedelta(hours=1)


class RateUnit(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


UNIT_HOURS: dict[RateUnit, int] = {
    RateUnit.HOUR: 1,
    RateUnit.DAY: 24,
    RateUnit.WEEK: 7 * 24,
    RateUnit.MONTH: 30 * 24,
}


@dataclass(frozen=True)
class RateCard:
    """Prices per unit; at least one unit must be priced."""

    rates: Mapping[RateUnit, Decimal]

    def __post_init__(self) -> None:
        if not self.rates:
            raise Unprocessable("a rate card needs at least one rate", field="rates")
        checked = {
            RateUnit(unit): require_money(price, f"rates.{unit}", positive=True)
            for unit, price in self.rates.items()
        }
        object.__setattr__(self, "rates", checked)


@dataclass(frozen=True)
class PricingTerms:
    """What an offering says about price and reservation."""

    rate_card: RateCard
    deposit: Decimal = ZERO
    turnaround_before: timedelta = timedelta(0)
    turnaround_after: timedelta = timedelta(0)
    min_duration: timedelta = timedelta(0)
    max_duration: timedelta = timedelta(days=366)
    hold_ttl: timedelta = timedelta(minutes=15)
    late_fee_per_hour: Decimal | None = None
    late_fee_multiplier: Decimal = Decimal("1.5")
    late_grace: timedelta = timedelta(minutes=30)
    cancellation_tiers: tuple[tuple[timedelta, Decimal], ...] = ()
    """(minimum notice, fee rate), longest notice first; none means cancelling is free."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "deposit", require_money(self.deposit, "deposit"))
        if self.late_fee_per_hour is not None:
            object.__setattr__(
                self,
                "late_fee_per_hour",
                require_money(self.late_fee_per_hour, "late_fee_per_hour"),
            )
        for name in ("turnaround_before", "turnaround_after", "late_grace", "min_duration"):
            if getattr(self, name) < timedelta(0):
                raise Unprocessable(f"{name} must not be negative", field=name)
        for name in ("max_duration", "hold_ttl"):
            if getattr(self, name) <= timedelta(0):
                raise Unprocessable(f"{name} must be positive", field=name)
        notices = [notice for notice, _ in self.cancellation_tiers]
        if notices != sorted(notices, reverse=True) or any(
            not 0 <= rate <= 1 for _, rate in self.cancellation_tiers
        ):
            raise Unprocessable(
                "cancellation tiers must run from the longest notice down, "
                "with rates between 0 and 1",
                field="cancellation_tiers",
            )


@dataclass(frozen=True)
class QuoteLine:
    unit: RateUnit
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    """An itemised price for ``[start, end)`` and the padded period it reserves."""

    start: datetime
    end: datetime
    billable_hours: int
    lines: tuple[QuoteLine, ...]
    deposit: Decimal
    reserved_from: datetime
    reserved_until: datetime

    @property
    def rental(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        """Rental plus the refundable deposit: what the customer pays up front."""
        return self.rental + self.deposit


def billable_hours(start: datetime, end: datetime) -> int:
    return math.ceil((end - start) / HOUR)


def cheapest_cover(hours: int, card: RateCard) -> tuple[QuoteLine, ...]:
    """The cheapest units covering ``hours`` (fewest units on a tie), largest unit first."""
    if hours <= 0:
        return ()
    priced = [(unit, card.rates[unit]) for unit in RateUnit if unit in card.rates]
    best: list[tuple[Decimal, int]] = [(ZERO, 0)]
    choice: list[RateUnit | None] = [None]
    for h in range(1, hours + 1):
        options = [
            (
                (
                    best[max(0, h - UNIT_HOURS[u])][0] + price,
                    best[max(0, h - UNIT_HOURS[u])][1] + 1,
                ),
                u,
            )
            for u, price in priced
        ]
        cost, unit = min(options, key=lambda o: (o[0], -UNIT_HOURS[o[1]]))
        best.append(cost)
        choice.append(unit)
    counts: dict[RateUnit, int] = {}
    h = hours
    while h > 0:
        picked = choice[h]
        assert picked is not None
        counts[picked] = counts.get(picked, 0) + 1
        h = max(0, h - UNIT_HOURS[picked])
    return tuple(
        QuoteLine(u, counts[u], card.rates[u], to_fen(card.rates[u] * counts[u]))
        for u in reversed(RateUnit)
        if u in counts
    )


def validate_period(
    start: datetime,
    end: datetime,
    now: datetime,
    max_duration: timedelta,
    min_duration: timedelta = timedelta(0),
) -> None:
    """422 naming the field for an unaware, empty, past, too short or too long period."""
    for name, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise Unprocessable(f"{name} must carry a UTC offset", field=name)
    if end <= start:
        raise Unprocessable("end must be after start", field="end")
    if start < now:
        raise Unprocessable("start must not be in the past", field="start")
    if end - start > max_duration:
        raise Unprocessable(f"the period is longer than the maximum of {max_duration}", field="end")
    if end - start < min_duration:
        raise Unprocessable(
            f"the period is shorter than the minimum of {min_duration}", field="end"
        )


def quote(terms: PricingTerms, start: datetime, end: datetime, now: datetime) -> Quote:
    """Validate ``[start, end)`` and price it from the rate card."""
    validate_period(start, end, now, terms.max_duration, terms.min_duration)
    hours = billable_hours(start, end)
    return Quote(
        start,
        end,
        hours,
        cheapest_cover(hours, terms.rate_card),
        terms.deposit,
        start - terms.turnaround_before,
        end + terms.turnaround_after,
    )


def extension_price(
    terms: PricingTerms, start: datetime, end: datetime, new_end: datetime
) -> Decimal:
    """What extending ``[start, end)`` to ``new_end`` costs: best price of the whole longer
    period less the best price of the booked one (never negative: a cover of the longer
    period also covers the shorter)."""
    if new_end <= end:
        raise Unprocessable("new end must be after the current end", field="end")
    if new_end - start > terms.max_duration:
        raise Unprocessable(
            f"the period is longer than the maximum of {terms.max_duration}", field="end"
        )
    card = terms.rate_card
    longer = sum((ln.amount for ln in cheapest_cover(billable_hours(start, new_end), card)), ZERO)
    booked = sum((ln.amount for ln in cheapest_cover(billable_hours(start, end), card)), ZERO)
    return longer - booked
