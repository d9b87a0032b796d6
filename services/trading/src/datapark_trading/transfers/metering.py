"""Counting metered use against the agreement's limits and pricing.

A usage report counts calls, records and megabytes. The meter refuses a report that would take
the agreement past its maximum calls or records and then counts nothing of it (it is an
immutable value: the caller keeps the old one). For metered pricing it also says what the
report costs, within the calendar month's maximum, so the charge can be claimed from escrow.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from datapark_kit.errors import Unprocessable
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.money import ZERO
from datapark_trading.terms.policy import UsagePolicy
from datapark_trading.terms.pricing import Metered, MeterUnit, Pricing, month_start

BYTES_PER_MEGABYTE = 1_000_000
# The meter's counters are Postgres ``integer`` columns.
COUNTER_MAX = 2**31 - 1


def megabytes(n_bytes: int) -> int:
    """Whole megabytes (10^6 bytes) billed for ``n_bytes``, any started megabyte counting."""
    if n_bytes < 0:
        raise Unprocessable("a byte count cannot be negative", field="bytes")
    return math.ceil(n_bytes / BYTES_PER_MEGABYTE)


@dataclass(frozen=True, slots=True)
class UsageReport:
    calls: int = 0
    records: int = 0
    megabytes: int = 0

    def __post_init__(self) -> None:
        for name in ("calls", "records", "megabytes"):
            if getattr(self, name) < 0:
                raise Unprocessable(f"{name} cannot be negative", field=name)
        if self.calls == self.records == self.megabytes == 0:
            raise Unprocessable("a usage report counts something", field="calls")

    def units(self, unit: MeterUnit) -> int:
        return {
            MeterUnit.CALL: self.calls,
            MeterUnit.RECORD: self.records,
            MeterUnit.MEGABYTE: self.megabytes,
        }[unit]


@dataclass(frozen=True, slots=True)
class UsageMeter:
    """Use counted so far under one agreement, and the current month's billable units."""

    calls: int = 0
    records: int = 0
    megabytes: int = 0
    month: datetime | None = None
    month_units: int = 0
    charged: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Metering:
    """The outcome of an accepted report: the new meter and what the report costs."""

    meter: UsageMeter
    charge: Decimal


def record(
    meter: UsageMeter,
    report: UsageReport,
    *,
    policy: UsagePolicy,
    pricing: Pricing,
    at: datetime,
) -> Metering:
    """Count ``report`` if the policy's limits allow all of it; otherwise refuse it whole."""
    calls, records = meter.calls + report.calls, meter.records + report.records
    for name, used, limit, asked in (
        ("calls", meter.calls, policy.max_calls, report.calls),
        ("records", meter.records, policy.max_records, report.records),
    ):
        if limit is not None and used + asked > limit:
            raise Unprocessable(
                f"usage limit reached: {asked} more {name} would exceed the agreed maximum of "
                f"{limit} ({used} used); nothing was counted",
                field=name,
                code=TradingProblem.USAGE_LIMIT_EXCEEDED,
                limit=limit,
                used=used,
            )
    totals = {"calls": calls, "records": records, "megabytes": meter.megabytes + report.megabytes}
    for name, total in totals.items():
        if total > COUNTER_MAX:
            raise Unprocessable(
                f"{name} of this delivery would exceed {COUNTER_MAX}; nothing was counted",
                field=name,
                code=TradingProblem.USAGE_COUNTER_OVERFLOW,
            )
    month = month_start(at)
    month_units = meter.month_units if meter.month == month else 0
    charge = ZERO
    added = 0
    if isinstance(pricing, Metered):
        added = report.units(pricing.unit)
        if added:
            charge = pricing.increment(month_units, added)
    new = dataclasses.replace(
        meter,
        calls=calls,
        records=records,
        megabytes=meter.megabytes + report.megabytes,
        month=month,
        month_units=month_units + added,
        charged=meter.charged + charge,
    )
    return Metering(meter=new, charge=charge)
