"""Amortisation of a data resource held as an intangible asset: straight-line from the month it
is ready for use (CAS 6: 当月增加，当月摊销), each month's charge booked on its last day, and
re-based after each write-down (CAS 8 §18)."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from datapark_catalog.terms.money import ZERO
from datapark_contracts.money import to_fen


def months_charged(ready_on: date, as_of: date) -> int:
    """Monthly amortisation charges booked by ``as_of``: one for the month the asset is ready
    for use and one for each later month, each booked on its last day.

    Ready 2024-01-15: none by 2024-01-30, one by 2024-01-31, twelve by 2025-01-01.
    """
    if as_of < ready_on:
        return 0
    months = (as_of.year - ready_on.year) * 12 + (as_of.month - ready_on.month)
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        months += 1
    return months


class Amortisation:
    """Straight-line amortisation over the useful life, re-based after each write-down: the
    carrying amount after it is spread over the remaining months (CAS 8 §18)."""

    def __init__(self, ready_on: date | None, life: int | None, cost: Decimal) -> None:
        self.ready = ready_on
        self.life = life
        self.before = ZERO  # accumulated before the current segment
        self.start = 0  # months charged before the current segment
        self.basis = cost  # carrying amount the current segment spreads
        self.remaining = self.life or 0

    @property
    def active(self) -> bool:
        return self.ready is not None and self.life is not None

    def months(self, on: date) -> int:
        if self.ready is None or self.life is None:
            return 0
        return min(months_charged(self.ready, on), self.life)

    def accumulated(self, on: date) -> Decimal:
        charged = self.months(on) - self.start
        if not self.active or self.remaining == 0 or charged <= 0:
            return self.before
        return self.before + to_fen(self.basis * charged / self.remaining)

    def write_down(self, on: date, amount: Decimal) -> None:
        if not self.active or self.ready is None or on < self.ready:
            self.basis -= amount  # before amortisation starts: the whole life is left
            return
        carrying = self.basis - (self.accumulated(on) - self.before)
        self.before = self.accumulated(on)
        self.start = self.months(on)
        self.basis = carrying - amount
        self.remaining = (self.life or 0) - self.start
