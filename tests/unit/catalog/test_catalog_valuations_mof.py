"""入表 by 财会〔2023〕11号: cost lines by acquisition mode, amortisation from the month an asset
is ready for use, impairment on a recorded valuation, and the disclosure table. Every figure is
worked by hand in the comment beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from datapark_catalog.valuations.amortisation import months_charged
from datapark_catalog.valuations.balance_sheet import (
    BalanceSheetRecord,
    BookCostLine,
    book_position,
    validate_record,
)
from datapark_catalog.valuations.cost_kinds import (
    BASIS_EARLY_DEVELOPMENT,
    BASIS_MARKETING,
    BASIS_RESEARCH,
    AcquisitionMode,
    AssetClassification,
    CostLineKind,
    Phase,
    Presentation,
    Treatment,
)
from datapark_catalog.valuations.depreciation import months_elapsed
from datapark_catalog.valuations.disclosure import Item, disclose
from datapark_catalog.valuations.methods import (
    MarketApproachInputs,
    Valuation,
    ValuationMethod,
)
from datapark_kit.errors import Unprocessable

D = Decimal
K = CostLineKind
INTANGIBLE, INVENTORY = AssetClassification.INTANGIBLE_ASSET, AssetClassification.INVENTORY
PURCHASED, SELF, PROCESSED = (
    AcquisitionMode.PURCHASED,
    AcquisitionMode.SELF_DEVELOPED,
    AcquisitionMode.PROCESSED,
)
R, DEV = Phase.RESEARCH, Phase.DEVELOPMENT


def line(kind: CostLineKind, amount: str, on: date, phase: Phase | None = None) -> BookCostLine:
    return BookCostLine(kind, kind.value, D(amount), on, phase)


def valued(amount: str, on: date) -> Valuation:
    return Valuation(
        ValuationMethod.MARKET, MarketApproachInputs(()), on, uuid4(), "Zhonghe", D(amount), uuid4()
    )


def field_of(exc: pytest.ExceptionInfo[Unprocessable]) -> str:
    return str(exc.value.extra["errors"][0]["field"])


# --- the month rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready", "as_of", "months"),
    [
        (date(2024, 1, 15), date(2024, 1, 14), 0),  # not ready yet
        (date(2024, 1, 15), date(2024, 1, 30), 0),  # January's charge is booked on the 31st
        (date(2024, 1, 15), date(2024, 1, 31), 1),  # the month it is ready counts in full
        (date(2024, 1, 15), date(2024, 2, 14), 1),
        (date(2024, 1, 15), date(2024, 2, 29), 2),  # leap February's end
        (date(2024, 1, 1), date(2025, 1, 1), 12),  # Jan–Dec 2024
        (date(2024, 1, 31), date(2024, 1, 31), 1),
    ],
)
def test_amortisation_starts_in_the_month_ready_for_use(
    ready: date, as_of: date, months: int
) -> None:
    assert months_charged(ready, as_of) == months


def test_data_resources_and_robots_count_months_differently() -> None:
    # A robot depreciates from whole months after its in-service day (0 by 14 February); a
    # data resource ready on 15 January already has January charged (CAS 6: 当月增加当月摊销).
    assert months_elapsed(date(2024, 1, 15), date(2024, 2, 14)) == 0
    assert months_charged(date(2024, 1, 15), date(2024, 2, 14)) == 1


# --- purchased intangible asset ------------------------------------------------------------------

BOUGHT = BalanceSheetRecord(
    INTANGIBLE,
    (
        line(K.RIGHTS_VERIFICATION, "10000.00", date(2024, 3, 5)),
        line(K.ACQUISITION, "300000.00", date(2024, 3, 10)),
        line(K.RELATED_TAXES, "18000.00", date(2024, 3, 10)),
        line(K.DESENSITISATION, "12000.00", date(2024, 3, 20)),
        line(K.CLEANING, "25000.00", date(2024, 4, 2)),
        line(K.LABELLING, "30000.00", date(2024, 4, 15)),
        line(K.INTEGRATION, "8000.00", date(2024, 4, 20)),
        line(K.ANALYSIS, "5000.00", date(2024, 4, 25)),
        line(K.VISUALISATION, "2000.00", date(2024, 4, 28)),
        line(K.SECURITY_MANAGEMENT, "6000.00", date(2024, 4, 30)),
        line(K.MARKETING, "15000.00", date(2024, 3, 1)),
    ),
    recognised_on=date(2024, 3, 10),
    useful_life_months=48,
    ready_for_use_on=date(2024, 4, 30),
)


def test_purchased_intangible_cost_includes_making_the_data_fit_for_use() -> None:
    # By hand: 10,000 + 300,000 + 18,000 + 12,000 + 25,000 + 30,000 + 8,000 + 5,000 + 2,000
    # + 6,000 = 416,000.00 capitalised; marketing 15,000.00 expensed.
    pos = book_position(BOUGHT, date(2024, 4, 30))
    assert pos.capitalised_cost == D("416000.00")
    assert (pos.expensed_cost, pos.expensed_research_cost) == (D("15000.00"), D("0.00"))
    assert pos.presentation is Presentation.INTANGIBLE_ASSET
    treatments = {(t.line.kind, t.treatment) for t in pos.lines}
    assert (K.CLEANING, Treatment.CAPITALISED) in treatments
    assert (K.MARKETING, Treatment.EXPENSED) in treatments
    assert [t.basis for t in pos.lines if t.line.kind is K.MARKETING] == [BASIS_MARKETING]
    # Ready 30 April, 48 months: April is charged on the 30th: 416,000 / 48 = 8,666.67.
    assert (pos.amortisation_months, pos.accumulated_amortisation) == (1, D("8666.67"))
    assert pos.book_value == D("407333.33")


def test_purchased_intangible_amortised_from_the_ready_month() -> None:
    # Before it is ready: cost so far (416,000 − security management 6,000 of 30 April), no
    # amortisation.
    early = book_position(BOUGHT, date(2024, 4, 29))
    assert (early.capitalised_cost, early.accumulated_amortisation) == (D("410000.00"), D("0.00"))
    # April–December 2024 = 9 months: 416,000 × 9 / 48 = 78,000.00; book 338,000.00.
    pos = book_position(BOUGHT, date(2024, 12, 31))
    assert (pos.amortisation_months, pos.accumulated_amortisation) == (9, D("78000.00"))
    assert pos.book_value == D("338000.00")
    # Fully amortised after 48 months (April 2024 – March 2028), never beyond.
    end = book_position(BOUGHT, date(2030, 1, 1))
    assert (end.amortisation_months, end.book_value) == (48, D("0.00"))


def test_a_purchased_asset_is_ready_when_recognised_unless_told() -> None:
    record = validate_record(
        BalanceSheetRecord(
            INTANGIBLE, (line(K.ACQUISITION, "1200.00", date(2024, 1, 10)),), date(2024, 1, 10), 12
        )
    )
    assert record.ready_for_use_on == date(2024, 1, 10)
    # 1,200 / 12 = 100.00 a month; January–March by 31 March: 300.00.
    assert book_position(record, date(2024, 3, 31)).accumulated_amortisation == D("300.00")


# --- self-developed intangible asset -------------------------------------------------------------

DEVELOPED = BalanceSheetRecord(
    INTANGIBLE,
    (
        line(K.COLLECTION, "40000.00", date(2024, 2, 1), R),
        line(K.RESEARCH, "60000.00", date(2024, 3, 1)),
        line(K.DEVELOPMENT, "20000.00", date(2024, 5, 15), DEV),  # before the criteria were met
        line(K.COLLECTION, "90000.00", date(2024, 6, 10), DEV),
        line(K.CLEANING, "30000.00", date(2024, 7, 1), DEV),
        line(K.LABELLING, "45000.00", date(2024, 8, 1), DEV),
        line(K.DEVELOPMENT, "75000.00", date(2024, 9, 1), DEV),
        line(K.QUALITY_ASSESSMENT, "8000.00", date(2024, 10, 10), DEV),
        line(K.REGISTRATION_FEE, "2000.00", date(2024, 10, 15), DEV),
    ),
    recognised_on=date(2024, 6, 1),
    useful_life_months=36,
    acquisition_mode=SELF,
    ready_for_use_on=date(2024, 10, 15),
)


def test_research_is_expensed_and_development_capitalised_once_the_criteria_are_met() -> None:
    # Research 40,000 + 60,000 = 100,000 expensed; development before 1 June 20,000 expensed;
    # capitalised 90,000 + 30,000 + 45,000 + 75,000 + 8,000 + 2,000 = 250,000.00.
    pos = book_position(DEVELOPED, date(2024, 10, 15))
    assert pos.capitalised_cost == D("250000.00")
    assert pos.expensed_cost == D("120000.00")
    assert pos.expensed_research_cost == D("100000.00")
    bases = [(t.treatment, t.basis) for t in pos.lines]
    assert bases[:3] == [
        (Treatment.EXPENSED, BASIS_RESEARCH),
        (Treatment.EXPENSED, BASIS_RESEARCH),
        (Treatment.EXPENSED, BASIS_EARLY_DEVELOPMENT),
    ]
    assert all(t is Treatment.CAPITALISED for t, _ in bases[3:])


def test_development_expenditure_until_ready_then_amortised() -> None:
    # 30 September: in development (开发支出), cost so far 90,000 + 30,000 + 45,000 + 75,000.
    during = book_position(DEVELOPED, date(2024, 9, 30))
    assert during.presentation is Presentation.DEVELOPMENT_EXPENDITURE
    assert (during.capitalised_cost, during.accumulated_amortisation) == (
        D("240000.00"),
        D("0.00"),
    )
    # Ready 15 October: 无形资产, nothing charged before October's end.
    ready = book_position(DEVELOPED, date(2024, 10, 15))
    assert ready.presentation is Presentation.INTANGIBLE_ASSET
    assert ready.amortisation_months == 0
    # October–March = 6 months: 250,000 × 6 / 36 = 41,666.666… → 41,666.67; book 208,333.33.
    later = book_position(DEVELOPED, date(2025, 3, 31))
    assert (later.amortisation_months, later.accumulated_amortisation) == (6, D("41666.67"))
    assert later.book_value == D("208333.33")


def test_a_project_without_a_ready_date_stays_development_expenditure() -> None:
    record = BalanceSheetRecord(
        INTANGIBLE,
        DEVELOPED.cost_lines,
        date(2024, 6, 1),
        useful_life_months=36,
        acquisition_mode=SELF,
    )
    pos = book_position(record, date(2027, 1, 1))
    assert pos.presentation is Presentation.DEVELOPMENT_EXPENDITURE
    assert (pos.accumulated_amortisation, pos.book_value) == (D("0.00"), D("250000.00"))


# --- impairment ----------------------------------------------------------------------------------

LINES = (
    line(K.ACQUISITION, "500000.00", date(2023, 11, 1)),
    line(K.RIGHTS_VERIFICATION, "20000.00", date(2023, 12, 1)),
    line(K.QUALITY_ASSESSMENT, "15000.00", date(2023, 12, 5)),
    line(K.REGISTRATION_FEE, "3000.00", date(2023, 12, 20)),
    line(K.SETTLEMENT_FEE, "2000.00", date(2023, 12, 28)),
    line(K.RESEARCH, "80000.00", date(2023, 9, 1)),
)
HELD = BalanceSheetRecord(INTANGIBLE, LINES, date(2024, 1, 1), useful_life_months=60)


def test_a_valuation_below_carrying_amount_writes_the_asset_down() -> None:
    # Cost 540,000, 60 months from January 2024. By 30 June 2024: 6 months, 54,000.00, carrying
    # 486,000.00. A valuation of 144,000.00 writes it down by 342,000.00.
    low = valued("144000.00", date(2024, 6, 30))
    pos = book_position(HELD, date(2024, 6, 30), [low])
    assert len(pos.impairments) == 1
    imp = pos.impairments[0]
    assert (imp.on, imp.carrying_amount_before, imp.recoverable_amount, imp.write_down) == (
        date(2024, 6, 30),
        D("486000.00"),
        D("144000.00"),
        D("342000.00"),
    )
    evidence = (imp.valuation_id, imp.method, imp.appraiser_name)
    assert evidence == (low.reference, "market", "Zhonghe")
    assert (pos.write_down, pos.book_value) == (D("342000.00"), D("144000.00"))
    # Then 144,000 over the remaining 54 months: July–December 144,000 × 6 / 54 = 16,000.00;
    # accumulated 54,000 + 16,000 = 70,000; book 540,000 − 70,000 − 342,000 = 128,000.00.
    # A higher valuation on 31 December does not reverse it (CAS 8 §17).
    high = valued("302779.86", date(2024, 12, 31))
    year_end = book_position(HELD, date(2025, 1, 1), [low, high])
    assert year_end.accumulated_amortisation == D("70000.00")
    assert year_end.write_down == D("342000.00")
    assert year_end.book_value == D("128000.00")
    assert year_end.valuation_surplus == D("174779.86")
    assert len(year_end.impairments) == 1
    passed = year_end.tests[1]
    assert (passed.carrying_amount_before, passed.write_down) == (D("128000.00"), D("0.00"))
    # At the end of the life the book value is exactly nil: 54,000 + 144,000 = 198,000
    # amortised, 540,000 − 198,000 − 342,000 = 0.
    end = book_position(HELD, date(2029, 1, 1), [low, high])
    assert (end.accumulated_amortisation, end.book_value) == (D("198000.00"), D("0.00"))


def test_a_second_write_down_rebases_the_remaining_amortisation() -> None:
    # After the first write-down (144,000 over 54 months from July 2024), by 30 June 2025 12
    # more months: 144,000 × 12 / 54 = 32,000.00, carrying 112,000.00. A valuation of
    # 100,000.00 writes down 12,000.00; 100,000 over the remaining 42 months. By 31 December
    # 2025: 100,000 × 6 / 42 = 14,285.714… → 14,285.71. Accumulated 54,000 + 32,000 +
    # 14,285.71 = 100,285.71; book 100,000 − 14,285.71 = 85,714.29.
    tests = [valued("144000.00", date(2024, 6, 30)), valued("100000.00", date(2025, 6, 30))]
    pos = book_position(HELD, date(2025, 12, 31), tests)
    assert [i.write_down for i in pos.impairments] == [D("342000.00"), D("12000.00")]
    assert pos.impairments[1].carrying_amount_before == D("112000.00")
    assert pos.accumulated_amortisation == D("100285.71")
    assert pos.write_down == D("354000.00")
    assert pos.book_value == D("85714.29")


def test_valuations_before_recognition_or_after_as_of_are_not_tests() -> None:
    before = valued("1.00", date(2023, 12, 31))
    after = valued("1.00", date(2025, 1, 2))
    pos = book_position(HELD, date(2025, 1, 1), [before, after])
    assert pos.impairments == ()
    # 12 months: 540,000 × 12 / 60 = 108,000.00 (the pinned worked example of the record).
    assert pos.book_value == D("432000.00")
    assert pos.latest_valuation == D("1.00")  # the one of 2023-12-31, the latest by as_of


def test_development_expenditure_write_down_lowers_what_is_amortised() -> None:
    # 30 September 2024: cost so far 240,000, valued at 200,000 → write-down 40,000. Later
    # costs 10,000; ready 15 October with 250,000 − 40,000 = 210,000 to amortise over 36
    # months; by 31 March 2025, 6 months: 210,000 × 6 / 36 = 35,000.00; book 175,000.00.
    pos = book_position(DEVELOPED, date(2025, 3, 31), [valued("200000.00", date(2024, 9, 30))])
    assert pos.impairments[0].write_down == D("40000.00")
    assert pos.accumulated_amortisation == D("35000.00")
    assert pos.book_value == D("175000.00")


def test_inventory_write_down_reverses_within_what_was_written_down() -> None:
    # Cost 540,000. 30 June valued 450,000 → write-down 90,000. 31 December valued 520,000 →
    # reversal min(90,000, 520,000 − 450,000) = 70,000, book 520,000. 31 March valued 700,000
    # → reversal of the remaining 20,000, book back at cost 540,000, never above it.
    record = BalanceSheetRecord(INVENTORY, LINES, date(2024, 1, 1))
    tests = [
        valued("450000.00", date(2024, 6, 30)),
        valued("520000.00", date(2024, 12, 31)),
        valued("700000.00", date(2025, 3, 31)),
    ]
    mid = book_position(record, date(2024, 12, 31), tests)
    assert [i.write_down for i in mid.impairments] == [D("90000.00"), D("-70000.00")]
    assert (mid.write_down, mid.book_value) == (D("20000.00"), D("520000.00"))
    end = book_position(record, date(2025, 3, 31), tests)
    assert [i.write_down for i in end.impairments][-1] == D("-20000.00")
    assert (end.write_down, end.book_value) == (D("0.00"), D("540000.00"))
    assert end.accumulated_amortisation == D("0.00")  # inventory is not amortised


def test_a_stated_net_realisable_value_is_not_reversed_by_a_valuation() -> None:
    # NRV 500,000 → 40,000 written down; a valuation of 600,000 has nothing of its own to
    # reverse.
    record = BalanceSheetRecord(
        INVENTORY, LINES, date(2024, 1, 1), net_realisable_value=D("500000.00")
    )
    pos = book_position(record, date(2025, 1, 1), [valued("600000.00", date(2024, 12, 31))])
    assert (pos.write_down, pos.book_value, pos.impairments) == (D("40000.00"), D("500000.00"), ())


def test_processed_inventory_capitalises_collection_and_processing() -> None:
    # 50,000 + 20,000 + 10,000 + 5,000 = 85,000.00 capitalised.
    record = BalanceSheetRecord(
        INVENTORY,
        (
            line(K.ACQUISITION, "50000.00", date(2024, 1, 5)),
            line(K.COLLECTION, "20000.00", date(2024, 1, 10)),
            line(K.CLEANING, "10000.00", date(2024, 1, 20)),
            line(K.INSURANCE, "5000.00", date(2024, 1, 31)),
        ),
        date(2024, 1, 31),
        acquisition_mode=PROCESSED,
    )
    pos = book_position(record, date(2024, 2, 1))
    assert (pos.presentation, pos.capitalised_cost) == (Presentation.INVENTORY, D("85000.00"))


# --- refusals ------------------------------------------------------------------------------------

JAN = date(2024, 1, 1)
BUY = (line(K.ACQUISITION, "100.00", JAN),)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (BalanceSheetRecord(INTANGIBLE, BUY, JAN, acquisition_mode=PROCESSED), "acquisition_mode"),
        (BalanceSheetRecord(INVENTORY, BUY, JAN, acquisition_mode=SELF), "acquisition_mode"),
        (BalanceSheetRecord(INVENTORY, BUY, JAN, ready_for_use_on=JAN), "ready_for_use_on"),
        (
            BalanceSheetRecord(INTANGIBLE, BUY, JAN, ready_for_use_on=date(2023, 12, 31)),
            "ready_for_use_on",
        ),
        (BalanceSheetRecord(INTANGIBLE, BUY, JAN, 1201), "useful_life_months"),
        (
            BalanceSheetRecord(INTANGIBLE, (line(K.ACQUISITION, "1.00", JAN, DEV),), JAN),
            "cost_lines[0].phase",
        ),
        (
            BalanceSheetRecord(
                INTANGIBLE, (line(K.ACQUISITION, "1.00", JAN),), JAN, acquisition_mode=SELF
            ),
            "cost_lines[0].phase",
        ),
        (
            BalanceSheetRecord(
                INTANGIBLE,
                (line(K.ACQUISITION, "1.00", JAN, DEV), line(K.RESEARCH, "1.00", JAN, DEV)),
                JAN,
                acquisition_mode=SELF,
            ),
            "cost_lines[1].phase",
        ),
        (
            BalanceSheetRecord(INTANGIBLE, (*BUY, line(K.INSURANCE, "1.00", JAN)), JAN),
            "cost_lines[1].kind",
        ),
        (
            BalanceSheetRecord(INTANGIBLE, (*BUY, line(K.COLLECTION, "1.00", JAN)), JAN),
            "cost_lines[1].kind",
        ),
        (
            BalanceSheetRecord(INVENTORY, (*BUY, line(K.CLEANING, "1.00", JAN)), JAN),
            "cost_lines[1].kind",
        ),
        (
            BalanceSheetRecord(
                INTANGIBLE, (*BUY, line(K.CLEANING, "1.00", date(2024, 2, 1))), JAN, 12
            ),
            "cost_lines[1].incurred_on",
        ),
        (
            BalanceSheetRecord(
                INTANGIBLE,
                (line(K.COLLECTION, "1.00", JAN, R), line(K.DEVELOPMENT, "1.00", JAN, DEV)),
                date(2024, 2, 1),
                acquisition_mode=SELF,
            ),
            "cost_lines",
        ),
    ],
)
def test_bad_records_are_refused_naming_the_field(record: BalanceSheetRecord, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        validate_record(record)
    assert field_of(caught) == field


def test_no_position_before_recognition() -> None:
    with pytest.raises(Unprocessable) as caught:
        book_position(HELD, date(2023, 12, 31))
    assert field_of(caught) == "as_of"


# --- disclosure ----------------------------------------------------------------------------------


def test_disclosure_groups_by_presentation_and_acquisition_mode() -> None:
    on = date(2024, 9, 30)
    items = [
        Item(uuid4(), "bought", book_position(BOUGHT, on)),
        Item(uuid4(), "developing", book_position(DEVELOPED, on)),
        Item(uuid4(), "stock", book_position(BalanceSheetRecord(INVENTORY, LINES, JAN), on)),
    ]
    d = disclose(items)
    assert [g.presentation for g in d.groups] == [
        Presentation.INVENTORY,
        Presentation.INTANGIBLE_ASSET,
        Presentation.DEVELOPMENT_EXPENDITURE,
    ]
    stock, intangible, development = (g.closing for g in d.groups)
    assert all(g.opening is None for g in d.groups)
    # Inventory: 540,000 at cost.
    assert (stock.totals.capitalised_cost, stock.totals.book_value) == (
        D("540000.00"),
        D("540000.00"),
    )
    assert [(m, t.book_value) for m, t in stock.by_mode] == [
        (PURCHASED, D("540000.00")),
        (PROCESSED, D("0.00")),
    ]
    # Bought: April–September = 6 months: 416,000 × 6 / 48 = 52,000.00; book 364,000.00.
    assert intangible.totals.accumulated_amortisation == D("52000.00")
    assert intangible.totals.book_value == D("364000.00")
    assert [(m, t.book_value) for m, t in intangible.by_mode] == [
        (PURCHASED, D("364000.00")),
        (SELF, D("0.00")),
    ]
    # Developing: 240,000 capitalised so far, not amortised.
    assert [i.title for i in development.items] == ["developing"]
    assert development.totals.book_value == D("240000.00")
    # Expensed: marketing 15,000 + research 100,000 + early development 20,000 + the
    # inventory's research 80,000 = 215,000; of which research 180,000.
    assert (d.expensed.total, d.expensed.research) == (D("215000.00"), D("180000.00"))
    assert d.expensed_in_period is None


def test_disclosure_opening_figures_beside_the_closing_ones() -> None:
    # Opening = 30 June 2024. Bought: April–June = 3 months, 416,000 × 3 / 48 = 26,000.00,
    # book 390,000.00. Developing (recognised 1 June): 90,000 of 10 June so far, 开发支出.
    eve, on = date(2024, 6, 30), date(2024, 9, 30)
    records = {"bought": BOUGHT, "developing": DEVELOPED}
    ids = {title: uuid4() for title in records}
    d = disclose(
        [Item(ids[t], t, book_position(r, on)) for t, r in records.items()],
        [Item(ids[t], t, book_position(r, eve)) for t, r in records.items()],
    )
    _, intangible, development = d.groups
    assert intangible.opening is not None
    assert development.opening is not None
    assert (
        intangible.opening.totals.accumulated_amortisation,
        intangible.opening.totals.book_value,
    ) == (D("26000.00"), D("390000.00"))
    assert intangible.closing.totals.book_value == D("364000.00")
    assert development.opening.totals.book_value == D("90000.00")
    assert development.closing.totals.book_value == D("240000.00")
