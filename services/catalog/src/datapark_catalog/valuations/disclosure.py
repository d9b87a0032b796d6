"""The disclosure table of data resources (财会〔2023〕11号 三): each balance-sheet line that
carries 其中：数据资源 (存货, 无形资产, 开发支出), with 账面原值, 累计摊销, 减值准备 and
账面价值, split by how the resources were acquired (外购 / 自行开发 / 自行加工)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from datapark_catalog.valuations.balance_sheet import BookPosition
from datapark_catalog.valuations.cost_kinds import (
    COST_KINDS,
    AcquisitionMode,
    AssetClassification,
    Presentation,
)
from datapark_catalog.valuations.money import ZERO

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
class Group:
    presentation: Presentation
    totals: Totals
    by_mode: tuple[tuple[AcquisitionMode, Totals], ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Disclosure:
    groups: tuple[Group, ...]
    expensed_cost: Decimal
    expensed_research_cost: Decimal


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


def disclose(items: Sequence[Item]) -> Disclosure:
    """Group the positions (all as of one date) by presentation, every line present."""
    groups = []
    for presentation in ORDER:
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
        groups.append(Group(presentation, totals, tuple(by_mode), mine))
    return Disclosure(
        groups=tuple(groups),
        expensed_cost=sum((i.position.expensed_cost for i in items), ZERO),
        expensed_research_cost=sum((i.position.expensed_research_cost for i in items), ZERO),
    )
