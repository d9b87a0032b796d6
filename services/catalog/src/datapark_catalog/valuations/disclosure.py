"""The disclosure table of data resources (财会〔2023〕11号 三): each balance-sheet line that
carries 其中：数据资源 (存货, 无形资产, 开发支出), with 账面原值, 累计摊销, 减值准备 and
账面价值, split by how the resources were acquired (外购 / 自行开发 / 自行加工)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from datapark_catalog.terms.money import ZERO
from datapark_catalog.valuations.balance_sheet import BookPosition
from datapark_catalog.valuations.cost_kinds import (
    COST_KINDS,
    AcquisitionMode,
    AssetClassification,
    Presentation,
)

ORDER = (
    Presentation.INVENTORY,
    Presentation.INTANGIBLE_ASSET,
    Presentation.DEVELOPMENT_EXPENDITURE,
)
"""The order of the lines on a CAS balance sheet: 存货 (current), then 无形资产 and 开发支出."""


@dataclass(frozen=True)
class Totals:
    capitalised_cost: Decimal = ZERO
    accumulated_amortisation: Decimal = ZERO
    write_down: Decimal = ZERO
    book_value: Decimal = ZERO

    def plus(self, pos: BookPosition) -> Totals:
        return Totals(
            self.capitalised_cost + pos.capitalised_cost,
            self.accumulated_amortisation + pos.accumulated_amortisation,
            self.write_down + pos.write_down,
            self.book_value + pos.book_value,
        )


@dataclass(frozen=True)
class Item:
    product_id: UUID
    title: str
    position: BookPosition


@dataclass(frozen=True)
class Line:
    """One balance-sheet line's figures on one day, split by acquisition mode."""

    totals: Totals
    by_mode: tuple[tuple[AcquisitionMode, Totals], ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Group:
    presentation: Presentation
    closing: Line
    opening: Line | None
    """The line on the day before the period starts (期初), when a period is asked for."""


@dataclass(frozen=True)
class Expensed:
    """Spend on the data resources that went to profit or loss (研究开发支出 among it)."""

    total: Decimal
    research: Decimal


@dataclass(frozen=True)
class Disclosure:
    groups: tuple[Group, ...]
    expensed: Expensed
    """Up to the closing day."""
    expensed_in_period: Expensed | None


def modes_of(presentation: Presentation) -> tuple[AcquisitionMode, ...]:
    """The acquisition modes a line is split by (every one it can hold, even when empty)."""
    classification = (
        AssetClassification.INVENTORY
        if presentation is Presentation.INVENTORY
        else AssetClassification.INTANGIBLE_ASSET
    )
    if presentation is Presentation.DEVELOPMENT_EXPENDITURE:
        return (AcquisitionMode.SELF_DEVELOPED,)
    return tuple(m for c, m in COST_KINDS if c is classification)


def line_of(items: Sequence[Item], presentation: Presentation) -> Line:
    """The items presented under ``presentation`` (positions all of one day), totalled."""
    mine = tuple(i for i in items if i.position.presentation is presentation)
    by_mode = []
    for mode in modes_of(presentation):
        totals = Totals()
        for item in mine:
            if item.position.acquisition_mode is mode:
                totals = totals.plus(item.position)
        by_mode.append((mode, totals))
    totals = Totals()
    for item in mine:
        totals = totals.plus(item.position)
    return Line(totals, tuple(by_mode), mine)


def expensed_of(items: Sequence[Item]) -> Expensed:
    return Expensed(
        sum((i.position.expensed_cost for i in items), ZERO),
        sum((i.position.expensed_research_cost for i in items), ZERO),
    )


def disclose(
    closing: Sequence[Item],
    opening: Sequence[Item] | None = None,
    expensed_in_period: Expensed | None = None,
) -> Disclosure:
    """Group the closing positions (all of one day) by presentation, every line present, with
    the opening positions (all of the day before the period) beside them when given."""
    return Disclosure(
        groups=tuple(
            Group(
                presentation,
                line_of(closing, presentation),
                None if opening is None else line_of(opening, presentation),
            )
            for presentation in ORDER
        ),
        expensed=expensed_of(closing),
        expensed_in_period=expensed_in_period,
    )
