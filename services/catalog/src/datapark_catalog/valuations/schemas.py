"""Request and response bodies of valuations and balance-sheet records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from datapark_catalog.terms.schemas import Money, MoneyOut, SignedMoney, SignedMoneyOut
from datapark_catalog.valuations.balance_sheet import BookPosition, Impairment
from datapark_catalog.valuations.cost_kinds import (
    PRESENTATION_LABELS,
    AcquisitionMode,
    AssetClassification,
    CostLineKind,
    Phase,
)
from datapark_catalog.valuations.disclosure import Disclosure, Totals
from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow
from datapark_kit.schemas import RequestModel

_VALUATION: JsonDict = {
    "id": "0193a5f4-6a55-7c4e-8d5f-9b0c1d2e3f40",
    "product_id": "0193a5e2-6b10-7f3e-8c2d-1a2b3c4d5e6f",
    "method": "cost",
    "inputs": {
        "cost_lines": [
            {"label": "collection", "amount": {"amount": "90000.00", "currency": "CNY"}},
            {"label": "cleaning", "amount": {"amount": "60000.00", "currency": "CNY"}},
        ],
        "obsolescence_rate": "0.04",
    },
    "base_date": "2026-06-30",
    "appraiser_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
    "appraiser_name": "中联资产评估集团有限公司",
    "amount": {"amount": "144000.00", "currency": "CNY"},
    "recorded_at": "2026-11-30T08:30:00Z",
}


def _cny(amount: str) -> JsonDict:
    return {"amount": amount, "currency": "CNY"}


_PRODUCT_ID = "0193a5e2-6b10-7f3e-8c2d-1a2b3c4d5e6f"
_POSITION: JsonDict = {
    "product_id": _PRODUCT_ID,
    "as_of": "2025-01-01",
    "classification": "intangible_asset",
    "acquisition_mode": "purchased",
    "presentation": "intangible_asset",
    "presentation_label": "无形资产",
    "recognised_on": "2024-01-01",
    "ready_for_use_on": "2024-01-01",
    "useful_life_months": 60,
    "capitalised_cost": _cny("540000.00"),
    "expensed_cost": _cny("80000.00"),
    "expensed_research_cost": _cny("80000.00"),
    "amortisation_months": 12,
    "accumulated_amortisation": _cny("70000.00"),
    "write_down": _cny("342000.00"),
    "book_value": _cny("128000.00"),
    "latest_valuation": _cny("302779.86"),
    "valuation_base_date": "2024-12-31",
    "valuation_surplus": _cny("174779.86"),
    "cost_lines": [
        {
            "kind": "acquisition",
            "description": "raw telemetry",
            "amount": _cny("500000.00"),
            "incurred_on": "2023-11-01",
            "treatment": "capitalised",
            "basis": "the purchase price of a purchased data resource is its cost",
        }
    ],
    "impairments": [
        {
            "on": "2024-06-30",
            "write_down": _cny("342000.00"),
            "carrying_amount_before": _cny("486000.00"),
            "recoverable_amount": _cny("144000.00"),
            "evidence_valuation_id": "0193a5f4-6a55-7c4e-8d5f-9b0c1d2e3f40",
            "evidence_method": "cost",
            "evidence_appraiser_name": "中联资产评估集团有限公司",
        }
    ],
}
_TOTALS: JsonDict = {
    "capitalised_cost": _cny("416000.00"),
    "accumulated_amortisation": _cny("48303.03"),
    "write_down": _cny("81333.33"),
    "book_value": _cny("286363.64"),
}
_DISCLOSURE: JsonDict = {
    "participant_id": "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8",
    "as_of": "2024-09-30",
    "groups": [
        {
            "presentation": "intangible_asset",
            "presentation_label": "无形资产",
            **_TOTALS,
            "by_acquisition_mode": [{"acquisition_mode": "purchased", **_TOTALS}],
            "items": [
                {
                    "product_id": _PRODUCT_ID,
                    "title": "Stamping press vibration telemetry 2025",
                    "acquisition_mode": "purchased",
                    **_TOTALS,
                }
            ],
        }
    ],
    "expensed_cost": _cny("135000.00"),
    "expensed_research_cost": _cny("100000.00"),
}


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CostLineIn(_In):
    label: str = Field(min_length=1, max_length=200)
    amount: Money


class AdjustmentIn(_In):
    name: str = Field(min_length=1, max_length=100)
    factor: Decimal


class ComparableIn(_In):
    reference: str = Field(min_length=1, max_length=200)
    price: Money
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=20)


class ValuationCreate(_In):
    """A valuation by one approach; give the inputs of that approach only.

    - cost: ``cost_lines`` and optional ``obsolescence_rate`` (0–1)
    - income: ``projected_income`` per period (t = 1..n) and ``discount_rate`` per period
    - market: ``comparables`` with price and adjustment factors
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "method": "cost",
                    "base_date": "2026-06-30",
                    "appraiser_name": "中联资产评估集团有限公司",
                    "cost_lines": [
                        {
                            "label": "collection",
                            "amount": {"amount": "90000.00", "currency": "CNY"},
                        },
                        {"label": "cleaning", "amount": {"amount": "60000.00", "currency": "CNY"}},
                    ],
                    "obsolescence_rate": "0.04",
                },
                {
                    "method": "income",
                    "base_date": "2026-06-30",
                    "appraiser_name": "中联资产评估集团有限公司",
                    "projected_income": [
                        {"amount": "80000.00", "currency": "CNY"},
                        {"amount": "100000.00", "currency": "CNY"},
                        {"amount": "120000.00", "currency": "CNY"},
                    ],
                    "discount_rate": "0.08",
                },
            ]
        }
    )

    method: Literal["cost", "income", "market"]
    base_date: date
    appraiser_name: str = Field(min_length=1, max_length=200)
    cost_lines: list[CostLineIn] | None = Field(default=None, max_length=100)
    obsolescence_rate: Decimal = Decimal(0)
    projected_income: list[SignedMoney] | None = Field(
        default=None,
        max_length=50,
        description="the income of each period t = 1..n (a period may be a loss: negative)",
    )
    discount_rate: Decimal | None = None
    comparables: list[ComparableIn] | None = Field(default=None, max_length=50)


class AdjustmentOut(BaseModel):
    name: str
    factor: Decimal


class CostLineOut(BaseModel):
    label: str
    amount: MoneyOut


class ComparableOut(BaseModel):
    reference: str
    price: MoneyOut
    adjustments: list[AdjustmentOut] = []


class ValuationInputsOut(BaseModel):
    """The inputs of the approach a valuation used, as recorded (the others absent)."""

    cost_lines: list[CostLineOut] | None = None
    obsolescence_rate: Decimal | None = None
    projected_income: list[SignedMoneyOut] | None = None
    discount_rate: Decimal | None = None
    comparables: list[ComparableOut] | None = None


class ValuationOut(BaseModel):
    """A valuation with its inputs as recorded (so anyone can redo the arithmetic)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VALUATION]})

    id: uuid.UUID
    product_id: uuid.UUID
    method: str
    inputs: ValuationInputsOut
    base_date: date
    appraiser_id: uuid.UUID
    appraiser_name: str
    amount: MoneyOut
    recorded_at: datetime
    impairment_test: ImpairmentTestOut | None = None
    """None when the product has no balance-sheet record or the base date is before its
    recognition."""

    @classmethod
    def of(cls, row: ValuationRow, test: Impairment | None) -> ValuationOut:
        return cls(
            id=row.id,
            product_id=row.product_id,
            method=row.method,
            inputs=row.inputs,
            base_date=row.base_date,
            appraiser_id=row.appraiser_id,
            appraiser_name=row.appraiser_name,
            amount=row.amount,
            recorded_at=row.recorded_at,
            impairment_test=None
            if test is None
            else ImpairmentTestOut(
                on=test.on,
                write_down=test.write_down,
                carrying_amount_before=test.carrying_amount_before,
                recoverable_amount=test.recoverable_amount,
            ),
        )


class ValuationPage(BaseModel):
    """A page of a product's valuations, oldest base date first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_VALUATION]}]})

    items: list[ValuationOut]
    next_cursor: str | None = None


class BookCostLineIn(_In):
    kind: CostLineKind
    description: str = Field(min_length=1, max_length=200)
    amount: Money
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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "classification": "intangible_asset",
                    "acquisition_mode": "purchased",
                    "cost_lines": [
                        {
                            "kind": "acquisition",
                            "description": "licence from the provider",
                            "amount": {"amount": "240000.00", "currency": "CNY"},
                            "incurred_on": "2026-01-10",
                        }
                    ],
                    "recognised_on": "2026-01-10",
                    "useful_life_months": 60,
                }
            ]
        }
    )

    classification: AssetClassification
    acquisition_mode: AcquisitionMode = AcquisitionMode.PURCHASED
    cost_lines: list[BookCostLineIn] = Field(min_length=1, max_length=200)
    recognised_on: date
    ready_for_use_on: date | None = None
    useful_life_months: int | None = None
    net_realisable_value: Money | None = None


class TreatedLineOut(BaseModel):
    """A cost line and what the rules made of it."""

    kind: str
    description: str
    amount: MoneyOut
    incurred_on: date
    phase: str | None = None
    treatment: Literal["capitalised", "expensed"]
    basis: str


class ImpairmentTestOut(BaseModel):
    """A valuation as an impairment test of the booked asset on its base date: the write-down
    it made (negative: an inventory reversal; 0.00: not below the carrying amount)."""

    on: date
    write_down: SignedMoneyOut
    carrying_amount_before: MoneyOut
    recoverable_amount: MoneyOut


class ImpairmentOut(ImpairmentTestOut):
    """A write-down (or, for inventory, a reversal: negative) and the valuation it rests on."""

    evidence_valuation_id: uuid.UUID | None
    evidence_method: str
    evidence_appraiser_name: str


class BookPositionOut(BaseModel):
    """Book value beside the latest valuation, as of a date."""

    model_config = ConfigDict(json_schema_extra={"examples": [_POSITION]})

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
    valuation_surplus: SignedMoneyOut | None
    cost_lines: list[TreatedLineOut]
    impairments: list[ImpairmentOut]

    @classmethod
    def of(cls, product_id: uuid.UUID, pos: BookPosition, row: BalanceSheetRow) -> BookPositionOut:
        return cls(
            product_id=product_id,
            as_of=pos.as_of,
            classification=pos.classification.value,
            acquisition_mode=pos.acquisition_mode.value,
            presentation=pos.presentation.value,
            presentation_label=PRESENTATION_LABELS[pos.presentation],
            recognised_on=row.recognised_on,
            ready_for_use_on=pos.ready_for_use_on,
            useful_life_months=row.useful_life_months,
            capitalised_cost=pos.capitalised_cost,
            expensed_cost=pos.expensed_cost,
            expensed_research_cost=pos.expensed_research_cost,
            amortisation_months=pos.amortisation_months,
            accumulated_amortisation=pos.accumulated_amortisation,
            write_down=pos.write_down,
            book_value=pos.book_value,
            latest_valuation=pos.latest_valuation,
            valuation_base_date=pos.valuation_base_date,
            valuation_surplus=pos.valuation_surplus,
            cost_lines=[
                TreatedLineOut(
                    kind=t.line.kind.value,
                    description=t.line.description,
                    amount=t.line.amount,
                    incurred_on=t.line.incurred_on,
                    phase=t.line.phase.value if t.line.phase else None,
                    treatment=t.treatment.value,
                    basis=t.basis,
                )
                for t in pos.lines
            ],
            impairments=[
                ImpairmentOut(
                    on=i.on,
                    write_down=i.write_down,
                    carrying_amount_before=i.carrying_amount_before,
                    recoverable_amount=i.recoverable_amount,
                    evidence_valuation_id=i.valuation_id,
                    evidence_method=i.method,
                    evidence_appraiser_name=i.appraiser_name,
                )
                for i in pos.impairments
            ],
        )


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

    @classmethod
    def of(cls, mode: AcquisitionMode, t: Totals) -> DisclosureModeOut:
        return cls(
            acquisition_mode=mode.value,
            capitalised_cost=t.capitalised_cost,
            accumulated_amortisation=t.accumulated_amortisation,
            write_down=t.write_down,
            book_value=t.book_value,
        )


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
    opening: DisclosureOpeningOut | None = None


class DisclosureOut(BaseModel):
    """A company's data resources on its balance sheet on a date, one group per line
    (存货, 无形资产, 开发支出), and the spend on them that was expensed: up to that date and,
    given a period, within it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DISCLOSURE]})

    participant_id: uuid.UUID
    as_of: date
    period_start: date | None = None
    groups: list[DisclosureGroupOut]
    expensed_cost: MoneyOut
    expensed_research_cost: MoneyOut
    expensed_cost_in_period: MoneyOut | None = None
    expensed_research_cost_in_period: MoneyOut | None = None

    @classmethod
    def of(
        cls, participant_id: uuid.UUID, as_of: date, period_start: date | None, d: Disclosure
    ) -> DisclosureOut:
        groups = []
        for g in d.groups:
            items = [
                DisclosureItemOut(
                    product_id=i.product_id,
                    title=i.title,
                    acquisition_mode=i.position.acquisition_mode.value,
                    capitalised_cost=i.position.capitalised_cost,
                    accumulated_amortisation=i.position.accumulated_amortisation,
                    write_down=i.position.write_down,
                    book_value=i.position.book_value,
                )
                for i in g.closing.items
            ]
            opening = None
            if g.opening is not None:
                opening = DisclosureOpeningOut(
                    capitalised_cost=g.opening.totals.capitalised_cost,
                    accumulated_amortisation=g.opening.totals.accumulated_amortisation,
                    write_down=g.opening.totals.write_down,
                    book_value=g.opening.totals.book_value,
                    by_acquisition_mode=[
                        DisclosureModeOut.of(mode, t) for mode, t in g.opening.by_mode
                    ],
                )
            groups.append(
                DisclosureGroupOut(
                    presentation=g.presentation.value,
                    presentation_label=PRESENTATION_LABELS[g.presentation],
                    capitalised_cost=g.closing.totals.capitalised_cost,
                    accumulated_amortisation=g.closing.totals.accumulated_amortisation,
                    write_down=g.closing.totals.write_down,
                    book_value=g.closing.totals.book_value,
                    by_acquisition_mode=[
                        DisclosureModeOut.of(mode, t) for mode, t in g.closing.by_mode
                    ],
                    items=items,
                    opening=opening,
                )
            )
        in_period = d.expensed_in_period
        return cls(
            participant_id=participant_id,
            as_of=as_of,
            period_start=period_start,
            groups=groups,
            expensed_cost=d.expensed.total,
            expensed_research_cost=d.expensed.research,
            expensed_cost_in_period=in_period.total if in_period else None,
            expensed_research_cost_in_period=in_period.research if in_period else None,
        )
