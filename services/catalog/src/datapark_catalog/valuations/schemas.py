"""Request and response bodies of valuations and balance-sheet records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_catalog.products.schemas import MoneyOut
from datapark_catalog.valuations.balance_sheet import AssetClassification, CostLineKind


class _In(BaseModel):
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


class ValuationList(BaseModel):
    items: list[ValuationOut]


class BookCostLineIn(_In):
    kind: CostLineKind
    description: str = Field(min_length=1, max_length=200)
    amount: Decimal
    incurred_on: date


class BalanceSheetIn(_In):
    """How the owner books the product (入表): intangible asset or inventory at cost."""

    classification: AssetClassification
    cost_lines: list[BookCostLineIn] = Field(min_length=1, max_length=200)
    recognised_on: date
    useful_life_months: int | None = None
    net_realisable_value: Decimal | None = None


class BookPositionOut(BaseModel):
    """Book value beside the latest valuation, as of a date."""

    product_id: uuid.UUID
    as_of: date
    classification: str
    capitalised_cost: MoneyOut
    expensed_cost: MoneyOut
    accumulated_amortisation: MoneyOut
    write_down: MoneyOut
    book_value: MoneyOut
    latest_valuation: MoneyOut | None
    valuation_base_date: date | None
    valuation_surplus: MoneyOut | None
    currency: Literal["CNY"] = "CNY"
    cost_lines: list[dict[str, object]]
