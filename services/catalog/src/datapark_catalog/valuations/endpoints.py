"""HTTP endpoints of valuations and balance-sheet records of a data product, and a company's
disclosure of its data resources."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi import APIRouter, status

from datapark_catalog.problems import VALUATIONS
from datapark_catalog.valuations.balance_sheet import BookPosition, Impairment
from datapark_catalog.valuations.cost_kinds import PRESENTATION_LABELS, AcquisitionMode
from datapark_catalog.valuations.disclosure import Disclosure, Totals
from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow
from datapark_catalog.valuations.schemas import (
    BalanceSheetIn,
    BookPositionOut,
    DisclosureGroupOut,
    DisclosureItemOut,
    DisclosureModeOut,
    DisclosureOpeningOut,
    DisclosureOut,
    ImpairmentOut,
    ImpairmentTestOut,
    TreatedLineOut,
    ValuationCreate,
    ValuationList,
    ValuationOut,
)
from datapark_catalog.valuations.service import ValuationService
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    tags=["valuations"], route_class=UnitOfWorkRoute, responses=problems(*VALUATIONS)
)
PRODUCT = "/v1/data-products/{product_id}"


def present(row: ValuationRow, test: Impairment | None) -> ValuationOut:
    return ValuationOut(
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


@router.post(
    f"{PRODUCT}/valuations", status_code=status.HTTP_201_CREATED, response_model=ValuationOut
)
async def record_valuation(
    product_id: uuid.UUID, body: ValuationCreate, session: SessionDep, principal: CurrentPrincipal
) -> ValuationOut:
    """Value the product by the cost, income or market approach; method, inputs, base date,
    appraiser and amount are kept (owner only, once registered). Once the product is booked, the
    valuation is an impairment test on its base date: below the carrying amount it writes the
    asset down (``impairment_test``; see the balance sheet)."""
    return present(*await ValuationService(session).record(principal, product_id, body))


@router.get(f"{PRODUCT}/valuations", response_model=ValuationList)
async def list_valuations(
    product_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValuationList:
    """Every valuation of the product, oldest base date first."""
    rows = await ValuationService(session).history(principal, product_id)
    return ValuationList(items=[present(r, t) for r, t in rows])


@router.put(f"{PRODUCT}/balance-sheet", response_model=BookPositionOut)
async def book_data_product(
    product_id: uuid.UUID, body: BalanceSheetIn, session: SessionDep, principal: CurrentPrincipal
) -> BookPositionOut:
    """Record how the owner books the product (入表, 财会〔2023〕11号) and return today's book
    position (or the position on recognition, when that is later). Each cost line comes back
    capitalised or expensed, with the rule that says so."""
    return present_position(
        product_id, *await ValuationService(session).book(principal, product_id, body)
    )


@router.get(f"{PRODUCT}/balance-sheet", response_model=BookPositionOut)
async def balance_sheet(
    product_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    as_of: date | None = None,
) -> BookPositionOut:
    """Book value (capitalised cost less amortisation and write-downs) beside the latest
    valuation with a base date on or before ``as_of`` (default today, UTC; not before
    recognition)."""
    day = as_of or datetime.now(UTC).date()
    return present_position(
        product_id, *await ValuationService(session).position(principal, product_id, day)
    )


@router.get(
    "/v1/participants/{participant_id}/balance-sheet-disclosure", response_model=DisclosureOut
)
async def balance_sheet_disclosure(
    participant_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    as_of: date | None = None,
    period_start: date | None = None,
) -> DisclosureOut:
    """The company's data resources by balance-sheet line (存货, 无形资产, 开发支出) on
    ``as_of`` (default today, UTC): cost, accumulated amortisation, write-downs and book value,
    split by acquisition mode, and the spend expensed up to that day. Given ``period_start``,
    each line also shows the opening figures (the day before) and the spend expensed within the
    period. The company itself reads its own; operators and auditors read every company's."""
    day = as_of or datetime.now(UTC).date()
    disclosure = await ValuationService(session).disclosure(
        principal, participant_id, day, period_start
    )
    return present_disclosure(participant_id, day, period_start, disclosure)


def present_position(
    product_id: uuid.UUID, pos: BookPosition, row: BalanceSheetRow
) -> BookPositionOut:
    return BookPositionOut(
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


def present_disclosure(
    participant_id: uuid.UUID, as_of: date, period_start: date | None, d: Disclosure
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
                by_acquisition_mode=[_mode(mode, t) for mode, t in g.opening.by_mode],
            )
        groups.append(
            DisclosureGroupOut(
                presentation=g.presentation.value,
                presentation_label=PRESENTATION_LABELS[g.presentation],
                capitalised_cost=g.closing.totals.capitalised_cost,
                accumulated_amortisation=g.closing.totals.accumulated_amortisation,
                write_down=g.closing.totals.write_down,
                book_value=g.closing.totals.book_value,
                by_acquisition_mode=[_mode(mode, t) for mode, t in g.closing.by_mode],
                items=items,
                opening=opening,
            )
        )
    in_period = d.expensed_in_period
    return DisclosureOut(
        participant_id=participant_id,
        as_of=as_of,
        period_start=period_start,
        groups=groups,
        expensed_cost=d.expensed.total,
        expensed_research_cost=d.expensed.research,
        expensed_cost_in_period=in_period.total if in_period else None,
        expensed_research_cost_in_period=in_period.research if in_period else None,
    )


def _mode(mode: AcquisitionMode, t: Totals) -> DisclosureModeOut:
    return DisclosureModeOut(
        acquisition_mode=mode.value,
        capitalised_cost=t.capitalised_cost,
        accumulated_amortisation=t.accumulated_amortisation,
        write_down=t.write_down,
        book_value=t.book_value,
    )
