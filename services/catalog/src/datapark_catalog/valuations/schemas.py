"""Request and response bodies of valuations and balance-sheet records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_catalog.products.schemas import MoneyOut
from datapark_catalog.valuations.cost_kinds import (
    AcquisitionMode,
    AssetClassification,
    CostLineKind,
    Phase,
)
from datapark_kit.schemas import RequestModel


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CostLineIn(_In):
    label: str = Field(min_length=1, max_length=200)
    amount: Decimal


class AdjustmentIn(_In):
    name: str = Field(min_length=1, max_length=100)
    factor: Decimal


class ComparableIn(_In):
    reference: str = Field(min_length=1, max_length=200)
    price: Decimal
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=20)


class ValuationCreate(_In):
    """A valuation by one approach; give the inputs of that approach only.

    - cost: ``cost_lines`` and optional ``obsolescence_rate`` (0–1)
    - income: ``projected_income`` per period (t = 1..n) and ``discount_rate`` per period
    - market: ``comparables`` with price and adjustment factors
    """

    method: Literal["cost", "income", "market"]
    base_date: date
    appraiser_name: str = Field(min_length=1, max_length=200)
    currency: Literal["CNY"] = "CNY"
    cost_lines: list[CostLineIn] | None = Field(default=None, max_length=100)
    obsolescence_rate: Decimal = Decimal(0)
    projected_income: list[Decimal] | None = Field(default=None, max_length=50)
    discount_rate: Decimal | None = None
    comparables: list[ComparableIn] | None = Field(default=None, max_length=50)


class ValuationOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    method: str
    inputs: dict[str, object]
    base_date: date
    appraiser_id: uuid.UUID
    appraiser_name: str
    amount: MoneyOut
    currency: Literal["CNY"] = "CNY"
    recorded_at: datetime
    impairment_test: ImpairmentTestOut | None = None
    """None when the product has no balance-sheet record or the base date is before its
    recognition."""


class ValuationList(BaseModel):
    items: list[ValuationOut]


class BookCostLineIn(_In):
    kind: CostLineKind
    description: str = Field(min_length=1, max_length=200)
    amount: Decimal
    incurred_on: date
    phase: Phase | None = None
    """research or development: stated on each line of a self-developed data resource."""


class BalanceSheetIn(_In):
    """How the owner books the product (入表, 财会〔2023〕11号).

    - ``classification``: intangible_asset (held for use) or inventory (held for sale)
    - ``acquisition_mode``: purchased (default), self_developed (intangible assets) or
      processed (inventory)
    - ``recognised_on``: first on the books (a self-developed resource: the day development
      met the capitalisation criteria; inventory: the day its capitalised costs are complete)
    - ``ready_for_use_on``: intangible assets; amortisation starts in its month (a purchased
      asset defaults to ``recognised_on``; a self-developed one without it is still in
      development and shown as 开发支出)
    """

    classification: AssetClassification
    acquisition_mode: AcquisitionMode = AcquisitionMode.PURCHASED
    cost_lines: list[BookCostLineIn] = Field(min_length=1, max_length=200)
    recognised_on: date
    ready_for_use_on: date | None = None
    useful_life_months: int | None = None
    net_realisable_value: Decimal | None = None


class TreatedLineOut(BaseModel):
    """A cost line and what the rules made of it."""

    kind: str
    description: str
    amount: MoneyOut
    incurred_on: date
    phase: str | None
    treatment: Literal["capitalised", "expensed"]
    basis: str


class ImpairmentTestOut(BaseModel):
    """A valuation as an impairment test of the booked asset on its base date: the write-down
    it made (negative: an inventory reversal; 0.00: not below the carrying amount)."""

    on: date
    write_down: MoneyOut
    carrying_amount_before: MoneyOut
    recoverable_amount: MoneyOut


class ImpairmentOut(ImpairmentTestOut):
    """A write-down (or, for inventory, a reversal: negative) and the valuation it rests on."""

    evidence_valuation_id: uuid.UUID | None
    evidence_method: str
    evidence_appraiser_name: str


class BookPositionOut(BaseModel):
    """Book value beside the latest valuation, as of a date."""

    product_id: uuid.UUID
    as_of: date
    classification: str
    acquisition_mode: str
    presentation: str
    presentation_label: str
    recognised_on: date
    ready_for_use_on: date | None
    useful_life_months: int | None
    capitalised_cost: MoneyOut
    expensed_cost: MoneyOut
    expensed_research_cost: MoneyOut
    amortisation_months: int
    accumulated_amortisation: MoneyOut
    write_down: MoneyOut
    book_value: MoneyOut
    latest_valuation: MoneyOut | None
    valuation_base_date: date | None
    valuation_surplus: MoneyOut | None
    currency: Literal["CNY"] = "CNY"
    cost_lines: list[TreatedLineOut]
    impairments: list[ImpairmentOut]


class DisclosureItemOut(BaseModel):
    product_id: uuid.UUID
    title: str
    acquisition_mode: str
    capitalised_cost: MoneyOut
    accumulated_amortisation: MoneyOut
    write_down: MoneyOut
    book_value: MoneyOut


class DisclosureTotalsOut(BaseModel):
    """账面原值, 累计摊销, 减值准备 (跌价准备 for inventory) and 账面价值."""

    capitalised_cost: MoneyOut
    accumulated_amortisation: MoneyOut
    write_down: MoneyOut
    book_value: MoneyOut


class DisclosureModeOut(DisclosureTotalsOut):
    acquisition_mode: str


class DisclosureOpeningOut(DisclosureTotalsOut):
    """期初: the line on the day before the period started."""

    by_acquisition_mode: list[DisclosureModeOut]


class DisclosureGroupOut(DisclosureTotalsOut):
    """One balance-sheet line's 其中：数据资源 on ``as_of`` (期末), split by how the resources
    were acquired, and on the day before the period (期初) when one is asked for."""

    presentation: str
    presentation_label: str
    by_acquisition_mode: list[DisclosureModeOut]
    items: list[DisclosureItemOut]
    opening: DisclosureOpeningOut | None


class DisclosureOut(BaseModel):
    """A company's data resources on its balance sheet on a date, one group per line
    (存货, 无形资产, 开发支出), and the spend on them that was expensed: up to that date and,
    given a period, within it."""

    participant_id: uuid.UUID
    as_of: date
    period_start: date | None
    currency: Literal["CNY"] = "CNY"
    groups: list[DisclosureGroupOut]
    expensed_cost: MoneyOut
    expensed_research_cost: MoneyOut
    expensed_cost_in_period: MoneyOut | None
    expensed_research_cost_in_period: MoneyOut | None
