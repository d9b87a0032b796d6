"""Valuation approaches, each with a worked example checked by hand, and balance-sheet entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from datapark_catalog.valuations.balance_sheet import (
    BalanceSheetRecord,
    BookCostLine,
    book_position,
    capitalised_cost,
    expensed_cost,
    validate_record,
)
from datapark_catalog.valuations.cost_kinds import AssetClassification, CostLineKind
from datapark_catalog.valuations.methods import (
    AdjustmentFactor,
    Comparable,
    CostApproachInputs,
    CostLine,
    IncomeApproachInputs,
    MarketApproachInputs,
    ValuationMethod,
    appraise,
    latest,
    value_by_cost,
    value_by_income,
    value_by_market,
)
from datapark_kit.errors import Unprocessable

D = Decimal
APPRAISER = uuid4()


def field_of(exc: pytest.ExceptionInfo[Unprocessable]) -> str:
    return str(exc.value.extra["errors"][0]["field"])


# --- cost approach -------------------------------------------------------------------------------


def test_cost_approach_worked_example() -> None:
    # By hand: 120,000.00 + 35,500.50 + 4,499.50 = 160,000.00;
    # less 10 % obsolescence: 160,000.00 × 0.90 = 144,000.00.
    inputs = CostApproachInputs(
        lines=(
            CostLine("collection", D("120000.00")),
            CostLine("cleaning and labelling", D("35500.50")),
            CostLine("storage", D("4499.50")),
        ),
        obsolescence_rate=D("0.10"),
    )
    assert value_by_cost(inputs) == D("144000.00")


def test_cost_approach_rounds_half_up() -> None:
    # 0.05 × (1 − 0.5) = 0.025 → 0.03 half-up (half-even would give 0.02).
    assert value_by_cost(CostApproachInputs((CostLine("x", D("0.05")),), D("0.5"))) == D("0.03")


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        (CostApproachInputs(()), "lines"),
        (CostApproachInputs((CostLine(" ", D(1)),)), "lines[0].label"),
        (CostApproachInputs((CostLine("a", D(1)), CostLine("b", D("-1")))), "lines[1].amount"),
        (CostApproachInputs((CostLine("a", D("1.001")),)), "lines[0].amount"),
        (CostApproachInputs((CostLine("a", D("NaN")),)), "lines[0].amount"),
        (CostApproachInputs((CostLine("a", D(1)),), D("1.5")), "obsolescence_rate"),
    ],
)
def test_cost_approach_bad_inputs(inputs: CostApproachInputs, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        value_by_cost(inputs)
    assert field_of(caught) == field


# --- income approach -----------------------------------------------------------------------------


def test_income_approach_worked_example() -> None:
    # By hand, r = 10 % over three years:
    #   100,000 / 1.1   =  90,909.0909…
    #   120,000 / 1.21  =  99,173.5537…
    #   150,000 / 1.331 = 112,697.2201…
    #   sum             = 302,779.8647… → 302,779.86
    inputs = IncomeApproachInputs((D("100000"), D("120000"), D("150000")), D("0.10"))
    assert value_by_income(inputs) == D("302779.86")


def test_income_approach_rounds_only_at_the_end() -> None:
    # 0.01 a year for two years at 25 %: 0.01/1.25 + 0.01/1.5625 = 0.008 + 0.0064 = 0.0144
    # → 0.01. Rounding each term first would give 0.01 + 0.01 = 0.02.
    assert value_by_income(IncomeApproachInputs((D("0.01"),) * 2, D("0.25"))) == D("0.01")


def test_income_approach_allows_an_early_loss() -> None:
    # −10,000 / 1.25 + 50,000 / 1.5625 = −8,000 + 32,000 = 24,000.00
    inputs = IncomeApproachInputs((D("-10000"), D("50000")), D("0.25"))
    assert value_by_income(inputs) == D("24000.00")


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        (IncomeApproachInputs((), D("0.1")), "projected_income"),
        (IncomeApproachInputs((D(1),) * 51, D("0.1")), "projected_income"),
        (IncomeApproachInputs((D(1),), D(0)), "discount_rate"),
        (IncomeApproachInputs((D(1),), D("-0.1")), "discount_rate"),
        (IncomeApproachInputs((D(1),), D("Infinity")), "discount_rate"),
        (IncomeApproachInputs((D(1), D("2.345")), D("0.1")), "projected_income[1]"),
        (IncomeApproachInputs((D("-100"),), D("0.1")), "projected_income"),
    ],
)
def test_income_approach_bad_inputs(inputs: IncomeApproachInputs, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        value_by_income(inputs)
    assert field_of(caught) == field


# --- market approach -----------------------------------------------------------------------------


def test_market_approach_worked_example() -> None:
    # By hand:
    #   A: 200,000 × 1.10 (quality) × 0.95 (timeliness) = 209,000.00
    #   B: 180,000 × 1.20 (volume)                       = 216,000.00
    #   C: 250,000 × 0.90 (rights) × 0.90 (coverage)    = 202,500.00
    #   mean = 627,500.00 / 3 = 209,166.666… → 209,166.67
    inputs = MarketApproachInputs(
        (
            Comparable(
                "SZDE-2025-0113",
                D("200000"),
                (AdjustmentFactor("quality", D("1.10")), AdjustmentFactor("timeliness", D("0.95"))),
            ),
            Comparable("BJIDE-2025-0871", D("180000"), (AdjustmentFactor("volume", D("1.20")),)),
            Comparable(
                "GSDE-2025-0042",
                D("250000"),
                (AdjustmentFactor("rights", D("0.90")), AdjustmentFactor("coverage", D("0.90"))),
            ),
        )
    )
    assert value_by_market(inputs) == D("209166.67")


def test_market_approach_rounds_each_adjusted_price_half_up() -> None:
    # 100.01 × 1.05 = 105.0105 → 105.01; 0.05 × 0.5 = 0.025 → 0.03;
    # mean (105.01 + 0.03) / 2 = 52.52
    inputs = MarketApproachInputs(
        (
            Comparable("a", D("100.01"), (AdjustmentFactor("q", D("1.05")),)),
            Comparable("b", D("0.05"), (AdjustmentFactor("q", D("0.5")),)),
        )
    )
    assert value_by_market(inputs) == D("52.52")


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        (MarketApproachInputs(()), "comparables"),
        (MarketApproachInputs((Comparable("a", D(0)),)), "comparables[0].price"),
        (
            MarketApproachInputs((Comparable("a", D(1), (AdjustmentFactor("q", D(0)),)),)),
            "comparables[0].adjustments[0].factor",
        ),
        (
            MarketApproachInputs(
                (Comparable("a", D(1)), Comparable("b", D(1), (AdjustmentFactor("q", D(11)),)))
            ),
            "comparables[1].adjustments[0].factor",
        ),
    ],
)
def test_market_approach_bad_inputs(inputs: MarketApproachInputs, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        value_by_market(inputs)
    assert field_of(caught) == field


# --- the valuation record ------------------------------------------------------------------------


def test_appraise_keeps_method_inputs_base_date_and_appraiser() -> None:
    inputs = CostApproachInputs((CostLine("collection", D("1000.00")),))
    v = appraise(
        inputs,
        base_date=date(2025, 12, 31),
        appraiser_id=APPRAISER,
        appraiser_name="Zhonghe Appraisal",
    )
    assert (v.method, v.inputs, v.base_date, v.appraiser_id, v.amount) == (
        ValuationMethod.COST,
        inputs,
        date(2025, 12, 31),
        APPRAISER,
        D("1000.00"),
    )
    income = appraise(
        IncomeApproachInputs((D("110"),), D("0.1")),
        base_date=date(2025, 1, 1),
        appraiser_id=APPRAISER,
        appraiser_name="x",
    )
    assert (income.method, income.amount) == (ValuationMethod.INCOME, D("100.00"))
    market = appraise(
        MarketApproachInputs((Comparable("a", D(5)),)),
        base_date=date(2025, 1, 1),
        appraiser_id=APPRAISER,
        appraiser_name="x",
    )
    assert (market.method, market.amount) == (ValuationMethod.MARKET, D("5.00"))


def test_appraise_needs_a_named_appraiser() -> None:
    with pytest.raises(Unprocessable) as caught:
        appraise(
            CostApproachInputs((CostLine("c", D(1)),)),
            base_date=date(2025, 1, 1),
            appraiser_id=APPRAISER,
            appraiser_name=" ",
        )
    assert field_of(caught) == "appraiser_name"


def test_latest_is_by_base_date() -> None:
    def at(d: date) -> object:
        return appraise(
            CostApproachInputs((CostLine("c", D(1)),)),
            base_date=d,
            appraiser_id=APPRAISER,
            appraiser_name="x",
        )

    a, b, c = at(date(2025, 6, 30)), at(date(2025, 12, 31)), at(date(2025, 3, 31))
    assert latest([a, b, c]) is b  # type: ignore[list-item]
    assert latest([]) is None


# --- balance sheet (入表) -------------------------------------------------------------------------

LINES = (
    BookCostLine(
        CostLineKind.ACQUISITION, "purchase of raw telemetry", D("500000.00"), date(2023, 11, 1)
    ),
    BookCostLine(CostLineKind.RIGHTS_VERIFICATION, "权属鉴证", D("20000.00"), date(2023, 12, 1)),
    BookCostLine(CostLineKind.QUALITY_ASSESSMENT, "质量评估", D("15000.00"), date(2023, 12, 5)),
    BookCostLine(CostLineKind.REGISTRATION_FEE, "登记", D("3000.00"), date(2023, 12, 20)),
    BookCostLine(CostLineKind.SETTLEMENT_FEE, "结算", D("2000.00"), date(2023, 12, 28)),
    BookCostLine(CostLineKind.RESEARCH, "exploration, expensed", D("80000.00"), date(2023, 9, 1)),
)


def test_intangible_asset_book_value_beside_valuation() -> None:
    # By hand: capitalised 500,000 + 20,000 + 15,000 + 3,000 + 2,000 = 540,000.00 (research
    # 80,000 is expensed). Amortised over 60 months from 2024-01-01; on 2025-01-01, 12 months:
    # 540,000 × 12/60 = 108,000.00 → book value 432,000.00. Valuation 600,000 → surplus 168,000.
    record = BalanceSheetRecord(
        AssetClassification.INTANGIBLE_ASSET, LINES, date(2024, 1, 1), useful_life_months=60
    )
    valuation = appraise(
        CostApproachInputs((CostLine("c", D("600000.00")),)),
        base_date=date(2024, 12, 31),
        appraiser_id=APPRAISER,
        appraiser_name="x",
    )
    pos = book_position(record, date(2025, 1, 1), [valuation])
    assert pos.capitalised_cost == D("540000.00")
    assert pos.expensed_cost == D("80000.00")
    assert pos.accumulated_amortisation == D("108000.00")
    assert pos.book_value == D("432000.00")
    assert pos.latest_valuation == D("600000.00")
    assert pos.valuation_base_date == date(2024, 12, 31)
    assert pos.valuation_surplus == D("168000.00")


def test_intangible_with_indefinite_life_is_not_amortised() -> None:
    record = BalanceSheetRecord(AssetClassification.INTANGIBLE_ASSET, LINES, date(2024, 1, 1))
    pos = book_position(record, date(2030, 1, 1))
    assert pos.book_value == D("540000.00")
    assert pos.latest_valuation is None
    assert pos.valuation_surplus is None


def test_inventory_at_lower_of_cost_and_net_realisable_value() -> None:
    # cost 540,000.00, NRV 500,000.00 → write-down 40,000.00, book value 500,000.00
    record = BalanceSheetRecord(
        AssetClassification.INVENTORY, LINES, date(2024, 1, 1), net_realisable_value=D("500000")
    )
    pos = book_position(record, date(2024, 6, 30))
    assert (pos.write_down, pos.book_value) == (D("40000.00"), D("500000.00"))
    higher = BalanceSheetRecord(
        AssetClassification.INVENTORY, LINES, date(2024, 1, 1), net_realisable_value=D("900000")
    )
    assert book_position(higher, date(2024, 6, 30)).book_value == D("540000.00")


def test_only_capitalisable_lines_count() -> None:
    record = BalanceSheetRecord(AssetClassification.INVENTORY, LINES, date(2024, 1, 1))
    assert capitalised_cost(record) == D("540000.00")
    assert expensed_cost(record) == D("80000.00")


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (BalanceSheetRecord(AssetClassification.INVENTORY, (), date(2024, 1, 1)), "cost_lines"),
        (
            BalanceSheetRecord(AssetClassification.INVENTORY, LINES[-1:], date(2024, 1, 1)),
            "cost_lines",
        ),
        (
            BalanceSheetRecord(
                AssetClassification.INVENTORY,
                (BookCostLine(CostLineKind.ACQUISITION, "x", D("1.005"), date(2024, 1, 1)),),
                date(2024, 1, 1),
            ),
            "cost_lines[0].amount",
        ),
        (
            BalanceSheetRecord(
                AssetClassification.INVENTORY,
                (BookCostLine(CostLineKind.ACQUISITION, "x", D(1), date(2024, 2, 1)),),
                date(2024, 1, 1),
            ),
            "cost_lines[0].incurred_on",
        ),
        (
            BalanceSheetRecord(AssetClassification.INVENTORY, LINES, date(2024, 1, 1), 12),
            "useful_life_months",
        ),
        (
            BalanceSheetRecord(AssetClassification.INTANGIBLE_ASSET, LINES, date(2024, 1, 1), 0),
            "useful_life_months",
        ),
        (
            BalanceSheetRecord(
                AssetClassification.INTANGIBLE_ASSET, LINES, date(2024, 1, 1), None, D(1)
            ),
            "net_realisable_value",
        ),
    ],
)
def test_bad_balance_sheet_records(record: BalanceSheetRecord, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_record(record)
    assert field_of(caught) == field
