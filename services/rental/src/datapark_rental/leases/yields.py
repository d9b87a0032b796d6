"""The real yield of a lease: IRR over every cash flow, disclosed as an APR.

Cash flows are monthly, from the lessor's side (period 0 is signing):

- period 0: ``−equipment_cost + down_payment + fees + deposit``;
- period k: the installment;
- period n also: ``+ balloon + buyout_price − deposit`` (the deposit is offset at the end).

The monthly IRR ``m`` solves ``Σ CF_k (1+m)^−k = 0``. It is found in ``Decimal`` (money is never
turned into float) by Newton's method safeguarded by bisection inside a sign-change bracket,
so it converges whatever the start. ``apr = 12·m`` (nominal, the way the contract rate is
quoted) and ``effective_annual_rate = (1+m)^12 − 1``; both quantized to 1e-6 half-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from datapark_rental.leases.schedule import RATE_PRECISION, Schedule

RATE_QUANTUM = Decimal("0.000001")
_TOLERANCE = Decimal("1e-20")
_MAX_ITERATIONS = 400
_LOWEST_RATE = Decimal("-0.999999")


class NoYield(ValueError):
    """The cash flows have no internal rate of return (no sign change of the NPV)."""


@dataclass(frozen=True)
class Yield:
    """Monthly IRR and its annual disclosures."""

    monthly_rate: Decimal
    apr: Decimal
    effective_annual_rate: Decimal


def lease_cash_flows(schedule: Schedule) -> list[Decimal]:
    """The lessor's monthly cash flows of ``schedule``, period 0 first."""
    terms = schedule.terms
    flows = [-terms.equipment_cost + schedule.down_payment + terms.fees + terms.deposit]
    flows.extend(i.payment for i in schedule.installments)
    flows[-1] += schedule.balloon + terms.buyout_price - terms.deposit
    return flows


def lease_yield(schedule: Schedule) -> Yield:
    """APR and effective annual rate of ``schedule`` over all its cash flows."""
    m = internal_rate_of_return(lease_cash_flows(schedule))
    with localcontext(prec=RATE_PRECISION):
        apr = 12 * m
        effective = (1 + m) ** 12 - 1
    return Yield(
        monthly_rate=m.quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP),
        apr=apr.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
        effective_annual_rate=effective.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP),
    )


def net_present_value(rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    with localcontext(prec=RATE_PRECISION):
        v = 1 / (1 + rate)
        total, factor = Decimal(0), Decimal(1)
        for flow in flows:
            total += flow * factor
            factor *= v
        return total


def _npv_derivative(rate: Decimal, flows: Sequence[Decimal]) -> Decimal:
    with localcontext(prec=RATE_PRECISION):
        v = 1 / (1 + rate)
        return sum((-k * flow * v ** (k + 1) for k, flow in enumerate(flows)), Decimal(0))


def internal_rate_of_return(flows: Sequence[Decimal]) -> Decimal:
    """The periodic rate at which ``flows`` have zero NPV, nearest to 0 in the sign's way.

    Raises :class:`NoYield` when no bracket with a sign change exists in (−1, 10⁶).
    """
    if not any(flows):
        raise NoYield("all cash flows are zero")
    with localcontext(prec=RATE_PRECISION):
        low, high = _bracket(flows)
        f_low = net_present_value(low, flows)
        rate = (low + high) / 2
        for _ in range(_MAX_ITERATIONS):
            value = net_present_value(rate, flows)
            if value == 0:
                return rate
            if (value > 0) == (f_low > 0):
                low, f_low = rate, value
            else:
                high = rate
            if high - low < _TOLERANCE:
                return (low + high) / 2
            slope = _npv_derivative(rate, flows)
            newton = rate - value / slope if slope != 0 else low
            rate = newton if low < newton < high else (low + high) / 2
        return rate


def _bracket(flows: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """An interval around a root, searched outward from 0 (first upward, then downward)."""
    at_zero = net_present_value(Decimal(0), flows)
    if at_zero == 0:
        return Decimal("-1e-9"), Decimal("1e-9")
    step = Decimal("0.001")
    previous = Decimal(0)
    while step < Decimal(1_000_000):
        if (net_present_value(step, flows) > 0) != (at_zero > 0):
            return previous, step
        previous, step = step, step * 2
    previous, gap = Decimal(0), Decimal("0.5")
    while True:
        candidate = -1 + gap
        if candidate <= _LOWEST_RATE:
            raise NoYield("no internal rate of return between -100 % and 10^8 %")
        if (net_present_value(candidate, flows) > 0) != (at_zero > 0):
            return candidate, previous
        previous, gap = candidate, gap / 2
