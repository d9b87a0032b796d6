"""Balance-sheet entry of data resources (数据资源入表), after the Ministry of Finance's interim
rules in force from 2024-01-01.

Data resources are booked as an intangible asset (held for use) or as inventory (held for
sale) at their capitalisable cost: acquisition, rights verification (权属鉴证), quality
assessment (质量评估), registration and settlement fees (登记结算). Other spending (research,
marketing) is expensed and kept beside it so the split is visible. The book value is shown beside
the latest valuation; the two are never mixed (a valuation does not write the book value up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from datapark_catalog.valuations.depreciation import straight_line_value
from datapark_catalog.valuations.methods import Valuation
from datapark_catalog.valuations.money import ZERO, parse_money, round_money
from datapark_kit.errors import Unprocessable


class CostLineKind(StrEnum):
    ACQUISITION = "acquisition"
    RIGHTS_VERIFICATION = "rights_verification"
    QUALITY_ASSESSMENT = "quality_assessment"
    REGISTRATION_FEE = "registration_fee"
    SETTLEMENT_FEE = "settlement_fee"
    RESEARCH = "research"
    MARKETING = "marketing"


CAPITALISABLE: frozenset[CostLineKind] = frozenset(
    {
        CostLineKind.ACQUISITION,
        CostLineKind.RIGHTS_VERIFICATION,
        CostLineKind.QUALITY_ASSESSMENT,
        CostLineKind.REGISTRATION_FEE,
        CostLineKind.SETTLEMENT_FEE,
    }
)


class AssetClassification(StrEnum):
    INTANGIBLE_ASSET = "intangible_asset"
    INVENTORY = "inventory"


@dataclass(frozen=True)
class BookCostLine:
    kind: CostLineKind
    description: str
    amount: Decimal
    incurred_on: date


@dataclass(frozen=True)
class BalanceSheetRecord:
    """How a product sits on its owner's books.

    ``useful_life_months`` applies to an intangible asset with a finite life (amortised
    straight-line from ``recognised_on``; None means an indefinite life, not amortised).
    ``net_realisable_value`` applies to inventory (measured at the lower of cost and NRV).
    """

    classification: AssetClassification
    cost_lines: tuple[BookCostLine, ...]
    recognised_on: date
    useful_life_months: int | None = None
    net_realisable_value: Decimal | None = None


@dataclass(frozen=True)
class BookPosition:
    """Book value beside the latest valuation, as of a date."""

    as_of: date
    classification: AssetClassification
    capitalised_cost: Decimal
    expensed_cost: Decimal
    accumulated_amortisation: Decimal
    write_down: Decimal
    book_value: Decimal
    latest_valuation: Decimal | None
    valuation_base_date: date | None
    valuation_surplus: Decimal | None
    """Latest valuation − book value (positive: the books understate the asset)."""


def validate_record(record: BalanceSheetRecord) -> BalanceSheetRecord:
    """Check a record's lines and its classification-specific fields; raise Unprocessable."""
    if not record.cost_lines:
        raise Unprocessable("a balance-sheet record needs cost lines", field="cost_lines")
    if not any(line.kind in CAPITALISABLE for line in record.cost_lines):
        raise Unprocessable(
            "at least one capitalisable cost line is needed to recognise an asset",
            field="cost_lines",
        )
    for i, line in enumerate(record.cost_lines):
        parse_money(line.amount, f"cost_lines[{i}].amount")
        if line.incurred_on > record.recognised_on and line.kind in CAPITALISABLE:
            raise Unprocessable(
                "a capitalised cost cannot be incurred after recognition",
                field=f"cost_lines[{i}].incurred_on",
            )
    if record.classification is AssetClassification.INVENTORY:
        if record.useful_life_months is not None:
            raise Unprocessable("inventory is not amortised", field="useful_life_months")
        if record.net_realisable_value is not None:
            parse_money(record.net_realisable_value, "net_realisable_value")
    else:
        if record.net_realisable_value is not None:
            raise Unprocessable(
                "net realisable value applies to inventory only", field="net_realisable_value"
            )
        if record.useful_life_months is not None and record.useful_life_months <= 0:
            raise Unprocessable(
                "useful life must be at least one month", field="useful_life_months"
            )
    return record


def capitalised_cost(lines: tuple[BookCostLine, ...]) -> Decimal:
    return round_money(sum((ln.amount for ln in lines if ln.kind in CAPITALISABLE), ZERO))


def expensed_cost(lines: tuple[BookCostLine, ...]) -> Decimal:
    return round_money(sum((ln.amount for ln in lines if ln.kind not in CAPITALISABLE), ZERO))


def book_position(
    record: BalanceSheetRecord, as_of: date, latest: Valuation | None = None
) -> BookPosition:
    """Book value as of ``as_of`` and the latest valuation beside it."""
    validate_record(record)
    cost = capitalised_cost(record.cost_lines)
    amortisation = ZERO
    write_down = ZERO
    if record.classification is AssetClassification.INTANGIBLE_ASSET:
        if record.useful_life_months is not None:
            remaining = straight_line_value(
                cost, ZERO, record.useful_life_months, record.recognised_on, as_of
            )
            amortisation = cost - remaining
    elif record.net_realisable_value is not None and record.net_realisable_value < cost:
        write_down = cost - record.net_realisable_value
    book = cost - amortisation - write_down
    return BookPosition(
        as_of=as_of,
        classification=record.classification,
        capitalised_cost=cost,
        expensed_cost=expensed_cost(record.cost_lines),
        accumulated_amortisation=amortisation,
        write_down=write_down,
        book_value=book,
        latest_valuation=latest.amount if latest else None,
        valuation_base_date=latest.base_date if latest else None,
        valuation_surplus=(latest.amount - book) if latest else None,
    )
