"""Data asset valuation (数据资产评估) by the three approaches of the China Appraisal Society's
2023 guidance: cost, income and market.

A valuation keeps its method, inputs, base date, appraiser and amount, so anyone can redo the
arithmetic. Amounts are ``Decimal``; each approach rounds half-up to 0.01 at the step its rule
names (cost lines and comparables are exact to the fen on input, the income approach rounds
only the final present value so that discounting does not accumulate rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from datapark_catalog.terms.money import parse_money, parse_rate
from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable

MAX_INCOME_PERIODS = 50
MAX_ADJUSTMENT_FACTOR = Decimal(10)


class ValuationMethod(StrEnum):
    COST = "cost"
    INCOME = "income"
    MARKET = "market"


@dataclass(frozen=True)
class CostLine:
    """One cost of building or replacing the data resource (collection, cleaning, labelling…)."""

    label: str
    amount: Decimal


@dataclass(frozen=True)
class CostApproachInputs:
    """Cost approach: the sum of cost lines, less an optional obsolescence (贬值) rate."""

    lines: tuple[CostLine, ...]
    obsolescence_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class IncomeApproachInputs:
    """Income approach: ``projected_income[t-1]`` is the income of period t (t = 1..n) and the
    discount rate is per period."""

    projected_income: tuple[Decimal, ...]
    discount_rate: Decimal


@dataclass(frozen=True)
class AdjustmentFactor:
    """A multiplier for one difference between a comparable and the subject (quality,
    timeliness, volume, rights…): 1.05 means the subject is worth 5 % more on that count."""

    name: str
    factor: Decimal


@dataclass(frozen=True)
class Comparable:
    """A traded comparable: its reference (a venue's deal), price and adjustments."""

    reference: str
    price: Decimal
    adjustments: tuple[AdjustmentFactor, ...] = ()


@dataclass(frozen=True)
class MarketApproachInputs:
    comparables: tuple[Comparable, ...]


ValuationInputs = CostApproachInputs | IncomeApproachInputs | MarketApproachInputs


@dataclass(frozen=True)
class Valuation:
    """A valuation record: method, inputs, base date (评估基准日), appraiser and amount."""

    method: ValuationMethod
    inputs: ValuationInputs
    base_date: date
    appraiser_id: UUID
    appraiser_name: str
    amount: Decimal
    reference: UUID | None = None
    """The stored valuation's id, once recorded (the evidence an impairment cites)."""


def value_by_cost(inputs: CostApproachInputs) -> Decimal:
    """Σ cost lines × (1 − obsolescence rate), rounded half-up to 0.01."""
    if not inputs.lines:
        raise Unprocessable("the cost approach needs at least one cost line", field="lines")
    total = Decimal(0)
    for i, line in enumerate(inputs.lines):
        if not line.label.strip():
            raise Unprocessable("a cost line needs a label", field=f"lines[{i}].label")
        total += parse_money(line.amount, f"lines[{i}].amount")
    rate = parse_rate(inputs.obsolescence_rate, "obsolescence_rate")
    return to_fen(total * (1 - rate))


def value_by_income(inputs: IncomeApproachInputs) -> Decimal:
    """Present value Σ_{t=1..n} CF_t / (1 + r)^t, rounded half-up to 0.01 at the end."""
    n = len(inputs.projected_income)
    if n == 0:
        raise Unprocessable(
            "the income approach needs at least one period", field="projected_income"
        )
    if n > MAX_INCOME_PERIODS:
        raise Unprocessable(
            f"at most {MAX_INCOME_PERIODS} periods are projected", field="projected_income"
        )
    rate = parse_rate(inputs.discount_rate, "discount_rate")
    if rate == 0:
        raise Unprocessable("the discount rate must be greater than zero", field="discount_rate")
    present = Decimal(0)
    factor = Decimal(1)
    for t, income in enumerate(inputs.projected_income, start=1):
        cash_flow = parse_money(income, f"projected_income[{t - 1}]", allow_negative=True)
        factor *= 1 + rate
        present += cash_flow / factor
    value = to_fen(present)
    if value < 0:
        raise Unprocessable(
            "the projected income has a negative present value", field="projected_income"
        )
    return value


def value_by_market(inputs: MarketApproachInputs) -> Decimal:
    """Mean of the comparables' adjusted prices.

    adjusted_i = round(price_i × Π factors_i); value = round(Σ adjusted_i / k).
    """
    if not inputs.comparables:
        raise Unprocessable(
            "the market approach needs at least one comparable", field="comparables"
        )
    adjusted_total = Decimal(0)
    for i, comparable in enumerate(inputs.comparables):
        price = parse_money(comparable.price, f"comparables[{i}].price", allow_zero=False)
        for j, adjustment in enumerate(comparable.adjustments):
            factor = parse_rate(
                adjustment.factor,
                f"comparables[{i}].adjustments[{j}].factor",
                maximum=MAX_ADJUSTMENT_FACTOR,
            )
            if factor == 0:
                raise Unprocessable(
                    "an adjustment factor must be greater than zero",
                    field=f"comparables[{i}].adjustments[{j}].factor",
                )
            price *= factor
        adjusted_total += to_fen(price)
    return to_fen(adjusted_total / len(inputs.comparables))


def appraise(
    inputs: ValuationInputs,
    *,
    base_date: date,
    appraiser_id: UUID,
    appraiser_name: str,
) -> Valuation:
    """Value by the approach the inputs belong to and keep the whole record."""
    if not appraiser_name.strip():
        raise Unprocessable("the appraiser must be named", field="appraiser_name")
    if isinstance(inputs, CostApproachInputs):
        return Valuation(
            ValuationMethod.COST,
            inputs,
            base_date,
            appraiser_id,
            appraiser_name,
            value_by_cost(inputs),
        )
    if isinstance(inputs, IncomeApproachInputs):
        return Valuation(
            ValuationMethod.INCOME,
            inputs,
            base_date,
            appraiser_id,
            appraiser_name,
            value_by_income(inputs),
        )
    return Valuation(
        ValuationMethod.MARKET,
        inputs,
        base_date,
        appraiser_id,
        appraiser_name,
        value_by_market(inputs),
    )


def latest(valuations: Sequence[Valuation]) -> Valuation | None:
    """The valuation with the latest base date (the last recorded wins a tie)."""
    best: Valuation | None = None
    for valuation in valuations:
        if best is None or valuation.base_date >= best.base_date:
            best = valuation
    return best
