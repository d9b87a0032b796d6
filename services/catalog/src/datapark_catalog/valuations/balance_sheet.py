"""Balance-sheet entry of data resources (数据资源入表) by the Ministry of Finance's interim
rules 财会〔2023〕11号 (企业数据资源相关会计处理暂行规定, in force from 2024-01-01), with CAS 6
(intangible assets), CAS 1 (inventories) and CAS 8 (impairment) where they apply.

A record says how the owner holds the data resource and how it came by it:

- intangible asset (held for use), **purchased**: purchase price, related taxes, the directly
  attributable costs of making the data fit for use (desensitising, cleaning, labelling,
  integration, analysis, visualisation) and rights verification, quality assessment,
  registration and settlement and security management fees;
- intangible asset, **self-developed**: research-phase spend is expensed as incurred;
  development-phase spend is capitalised only from the day the CAS 6 §9 criteria are met (the
  record's ``recognised_on``), earlier development spend is expensed. Until the asset is ready
  for use it is presented as development expenditure (开发支出), not amortised;
- inventory (held for sale), **purchased**: purchase price, related taxes, insurance and the
  fees above; **processed**: those plus collection and processing costs.

Every cost line says whether it was capitalised or expensed and why. A finite-life intangible
asset is amortised straight-line from the month it is ready for use (CAS 6: 当月增加，当月摊销),
each month's charge booked at that month's end. Each recorded valuation with a base date on or
after recognition is an impairment test: a valuation below the carrying amount at its base date
writes the asset down to it, with that valuation as the evidence. An intangible asset's
write-down is never reversed and later amortisation spreads the reduced carrying amount over
the remaining life (CAS 8 §17, §18); an inventory write-down (跌价准备) is reversed, within the
amount written down, when a later valuation recovers (CAS 1 §19). The book value is shown beside
the latest valuation; a valuation never writes the book value up above cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from datapark_catalog.terms.money import ZERO, parse_money
from datapark_catalog.valuations.amortisation import Amortisation
from datapark_catalog.valuations.cost_kinds import (
    ALWAYS_EXPENSED,
    BASIS,
    BASIS_EARLY_DEVELOPMENT,
    BASIS_MARKETING,
    BASIS_RESEARCH,
    COST_KINDS,
    PROCESSING,
    AcquisitionMode,
    AssetClassification,
    CostLineKind,
    Phase,
    Presentation,
    Treatment,
)
from datapark_catalog.valuations.methods import Valuation, latest
from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable

MAX_USEFUL_LIFE_MONTHS = 1200
"""A hundred years: any finite life a data resource could be given fits below it."""


@dataclass(frozen=True)
class BookCostLine:
    kind: CostLineKind
    description: str
    amount: Decimal
    incurred_on: date
    phase: Phase | None = None
    """Research or development: stated for self-developed data resources only."""


@dataclass(frozen=True)
class BalanceSheetRecord:
    """How a product sits on its owner's books.

    ``recognised_on`` is the day the asset is first on the books: the purchase for a purchased
    resource, the day the development phase met the capitalisation criteria for a self-developed
    one. ``ready_for_use_on`` (intangible assets only) starts amortisation; a purchased asset is
    ready when recognised unless told otherwise, a self-developed one without it is still in
    development. ``useful_life_months`` applies to an intangible asset with a finite life (None
    means an indefinite life, not amortised). ``net_realisable_value`` applies to inventory
    (measured at the lower of cost and NRV).
    """

    classification: AssetClassification
    cost_lines: tuple[BookCostLine, ...]
    recognised_on: date
    useful_life_months: int | None = None
    net_realisable_value: Decimal | None = None
    acquisition_mode: AcquisitionMode = AcquisitionMode.PURCHASED
    ready_for_use_on: date | None = None


@dataclass(frozen=True)
class TreatedLine:
    line: BookCostLine
    treatment: Treatment
    basis: str

    @property
    def research(self) -> bool:
        """Research-phase spend (always expensed)."""
        return self.line.kind is CostLineKind.RESEARCH or self.line.phase is Phase.RESEARCH


@dataclass(frozen=True)
class Impairment:
    """One impairment test and its evidence (a recorded valuation).

    ``write_down`` is positive for a write-down, negative for an inventory reversal, zero when
    the valuation did not fall below the carrying amount (nothing to reverse).
    """

    on: date
    valuation_id: UUID | None
    method: str
    appraiser_name: str
    carrying_amount_before: Decimal
    recoverable_amount: Decimal
    write_down: Decimal


@dataclass(frozen=True)
class BookPosition:
    """Book value beside the latest valuation, as of a date."""

    as_of: date
    classification: AssetClassification
    acquisition_mode: AcquisitionMode
    presentation: Presentation
    ready_for_use_on: date | None
    capitalised_cost: Decimal
    expensed_cost: Decimal
    expensed_research_cost: Decimal
    amortisation_months: int
    accumulated_amortisation: Decimal
    write_down: Decimal
    book_value: Decimal
    latest_valuation: Decimal | None
    valuation_base_date: date | None
    valuation_surplus: Decimal | None
    """Latest valuation − book value (positive: the books understate the asset)."""
    lines: tuple[TreatedLine, ...] = ()
    tests: tuple[Impairment, ...] = ()
    """Every impairment test to ``as_of``, in base-date order."""

    @property
    def impairments(self) -> tuple[Impairment, ...]:
        """The tests that changed the carrying amount."""
        return tuple(t for t in self.tests if t.write_down != 0)


def _validate_mode(record: BalanceSheetRecord) -> None:
    if (record.classification, record.acquisition_mode) not in COST_KINDS:
        allowed = sorted(m.value for c, m in COST_KINDS if c is record.classification)
        raise Unprocessable(
            f"a data resource held as {record.classification.value} is acquired "
            f"{' or '.join(allowed)}, not {record.acquisition_mode.value}",
            field="acquisition_mode",
        )


def _validate_dates(record: BalanceSheetRecord) -> None:
    if record.classification is AssetClassification.INVENTORY:
        if record.useful_life_months is not None:
            raise Unprocessable("inventory is not amortised", field="useful_life_months")
        if record.ready_for_use_on is not None:
            raise Unprocessable(
                "inventory is not amortised; ready_for_use_on applies to intangible assets",
                field="ready_for_use_on",
            )
        if record.net_realisable_value is not None:
            parse_money(record.net_realisable_value, "net_realisable_value")
        return
    if record.net_realisable_value is not None:
        raise Unprocessable(
            "net realisable value applies to inventory only", field="net_realisable_value"
        )
    life = record.useful_life_months
    if life is not None and not 0 < life <= MAX_USEFUL_LIFE_MONTHS:
        raise Unprocessable(
            f"useful life must be between 1 and {MAX_USEFUL_LIFE_MONTHS} months",
            field="useful_life_months",
        )
    if record.ready_for_use_on is not None and record.ready_for_use_on < record.recognised_on:
        raise Unprocessable(
            "an asset cannot be ready for use before it is recognised", field="ready_for_use_on"
        )


def _validate_line(record: BalanceSheetRecord, i: int, line: BookCostLine) -> None:
    parse_money(line.amount, f"cost_lines[{i}].amount")
    self_developed = record.acquisition_mode is AcquisitionMode.SELF_DEVELOPED
    if line.phase is not None and not self_developed:
        raise Unprocessable(
            "phase applies to self-developed data resources only", field=f"cost_lines[{i}].phase"
        )
    if self_developed:
        if line.kind is CostLineKind.RESEARCH and line.phase is Phase.DEVELOPMENT:
            raise Unprocessable(
                "a research line cannot be development-phase spend",
                field=f"cost_lines[{i}].phase",
            )
        if line.phase is None and line.kind not in ALWAYS_EXPENSED:
            raise Unprocessable(
                "say whether this is research- or development-phase spend",
                field=f"cost_lines[{i}].phase",
            )
    kinds = COST_KINDS[(record.classification, record.acquisition_mode)]
    if line.kind not in kinds and line.kind not in ALWAYS_EXPENSED:
        hint = (
            " (processing makes it processed inventory: acquisition_mode processed)"
            if record.classification is AssetClassification.INVENTORY and line.kind in PROCESSING
            else ""
        )
        raise Unprocessable(
            f"{line.kind.value} is not a cost of a {record.acquisition_mode.value} "
            f"{record.classification.value}{hint}; allowed: "
            f"{', '.join(sorted(k.value for k in kinds | ALWAYS_EXPENSED))}",
            field=f"cost_lines[{i}].kind",
        )


def treat(record: BalanceSheetRecord, line: BookCostLine) -> TreatedLine:
    """Whether a (valid) line is capitalised or expensed, and the rule that says so."""
    if line.kind is CostLineKind.RESEARCH or line.phase is Phase.RESEARCH:
        return TreatedLine(line, Treatment.EXPENSED, BASIS_RESEARCH)
    if line.kind is CostLineKind.MARKETING:
        return TreatedLine(line, Treatment.EXPENSED, BASIS_MARKETING)
    if record.acquisition_mode is AcquisitionMode.SELF_DEVELOPED and (
        line.incurred_on < record.recognised_on
    ):
        return TreatedLine(line, Treatment.EXPENSED, BASIS_EARLY_DEVELOPMENT)
    return TreatedLine(
        line, Treatment.CAPITALISED, BASIS[(record.classification, record.acquisition_mode)]
    )


def validate_record(record: BalanceSheetRecord) -> BalanceSheetRecord:
    """Check a record's lines and its classification-specific fields; raise Unprocessable.

    Returns the record with a purchased intangible asset's ``ready_for_use_on`` defaulted to
    ``recognised_on``.
    """
    _validate_mode(record)
    if (
        record.classification is AssetClassification.INTANGIBLE_ASSET
        and record.acquisition_mode is AcquisitionMode.PURCHASED
        and record.ready_for_use_on is None
    ):
        record = replace(record, ready_for_use_on=record.recognised_on)
    _validate_dates(record)
    if not record.cost_lines:
        raise Unprocessable("a balance-sheet record needs cost lines", field="cost_lines")
    for i, line in enumerate(record.cost_lines):
        _validate_line(record, i, line)
    treated = [treat(record, line) for line in record.cost_lines]
    if not any(t.treatment is Treatment.CAPITALISED for t in treated):
        raise Unprocessable(
            "at least one capitalisable cost line is needed to recognise an asset "
            "(research-phase spend, and development spend before the criteria are met, "
            "is expensed)",
            field="cost_lines",
        )
    for i, t in enumerate(treated):
        if t.treatment is not Treatment.CAPITALISED:
            continue
        if record.classification is AssetClassification.INVENTORY:
            if t.line.incurred_on > record.recognised_on:
                raise Unprocessable(
                    "a capitalised cost cannot be incurred after recognition",
                    field=f"cost_lines[{i}].incurred_on",
                )
        elif record.ready_for_use_on is not None and t.line.incurred_on > record.ready_for_use_on:
            raise Unprocessable(
                "a cost incurred after the asset was ready for use is not part of its cost",
                field=f"cost_lines[{i}].incurred_on",
            )
    return record


def presentation(record: BalanceSheetRecord, as_of: date) -> Presentation:
    """The balance-sheet line of a validated record on ``as_of``."""
    if record.classification is AssetClassification.INVENTORY:
        return Presentation.INVENTORY
    ready = record.ready_for_use_on is not None and record.ready_for_use_on <= as_of
    if record.acquisition_mode is AcquisitionMode.SELF_DEVELOPED and not ready:
        return Presentation.DEVELOPMENT_EXPENDITURE
    return Presentation.INTANGIBLE_ASSET


def capitalised_cost(record: BalanceSheetRecord, as_of: date | None = None) -> Decimal:
    """The capitalised lines incurred by ``as_of`` (all of them without a date)."""
    return _total(record, Treatment.CAPITALISED, as_of)


def expensed_cost(record: BalanceSheetRecord, as_of: date | None = None) -> Decimal:
    return _total(record, Treatment.EXPENSED, as_of)


def expensed_research_cost(record: BalanceSheetRecord, as_of: date | None = None) -> Decimal:
    return _total(record, Treatment.EXPENSED, as_of, research_only=True)


def _total(
    record: BalanceSheetRecord,
    treatment: Treatment,
    as_of: date | None,
    *,
    research_only: bool = False,
) -> Decimal:
    total = ZERO
    for line in record.cost_lines:
        t = treat(record, line)
        if t.treatment is not treatment or (as_of is not None and line.incurred_on > as_of):
            continue
        if t.research or not research_only:
            total += line.amount
    return to_fen(total)


def book_position(
    record: BalanceSheetRecord, as_of: date, valuations: Sequence[Valuation] = ()
) -> BookPosition:
    """Book value as of ``as_of`` and the latest valuation beside it.

    ``valuations`` are the product's recorded valuations in the order they were recorded; each
    with a base date from recognition to ``as_of`` is an impairment test, in base-date order.
    """
    record = validate_record(record)
    if as_of < record.recognised_on:
        raise Unprocessable(
            f"the record is recognised on {record.recognised_on.isoformat()}; "
            "there is no book position before it",
            field="as_of",
        )
    total_cost = capitalised_cost(record)
    amortisation = Amortisation(record.ready_for_use_on, record.useful_life_months, total_cost)
    nrv_write_down = ZERO
    if record.net_realisable_value is not None and record.net_realisable_value < total_cost:
        nrv_write_down = total_cost - record.net_realisable_value
    provision = nrv_write_down
    done: list[Impairment] = []
    tests = sorted(
        (v for v in valuations if record.recognised_on <= v.base_date <= as_of),
        key=lambda v: v.base_date,
    )
    for valuation in tests:
        on = valuation.base_date
        carrying = capitalised_cost(record, on) - amortisation.accumulated(on) - provision
        change = ZERO
        if valuation.amount < carrying:
            change = carrying - valuation.amount
            amortisation.write_down(on, change)
        elif record.classification is AssetClassification.INVENTORY:
            # CAS 1 §19: reverse within what earlier valuations wrote down.
            change = -min(provision - nrv_write_down, valuation.amount - carrying)
        provision += change
        done.append(
            Impairment(
                on=on,
                valuation_id=valuation.reference,
                method=valuation.method.value,
                appraiser_name=valuation.appraiser_name,
                carrying_amount_before=carrying,
                recoverable_amount=valuation.amount,
                write_down=change + ZERO,  # no negative zero
            )
        )
    cost = capitalised_cost(record, as_of)
    accumulated = amortisation.accumulated(as_of)
    book = cost - accumulated - provision
    best = latest([v for v in valuations if v.base_date <= as_of])
    return BookPosition(
        as_of=as_of,
        classification=record.classification,
        acquisition_mode=record.acquisition_mode,
        presentation=presentation(record, as_of),
        ready_for_use_on=record.ready_for_use_on,
        capitalised_cost=cost,
        expensed_cost=expensed_cost(record, as_of),
        expensed_research_cost=expensed_research_cost(record, as_of),
        amortisation_months=amortisation.months(as_of),
        accumulated_amortisation=accumulated,
        write_down=provision,
        book_value=book,
        latest_valuation=best.amount if best else None,
        valuation_base_date=best.base_date if best else None,
        valuation_surplus=(best.amount - book) if best else None,
        lines=tuple(treat(record, line) for line in record.cost_lines),
        tests=tuple(done),
    )
