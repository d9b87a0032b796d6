"""HTTP endpoints of valuations and balance-sheet records of a data product."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi import APIRouter, status

from datapark_catalog.valuations.balance_sheet import BookPosition
from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow
from datapark_catalog.valuations.schemas import (
    BalanceSheetIn,
    BookPositionOut,
    ValuationCreate,
    ValuationList,
    ValuationOut,
)
from datapark_catalog.valuations.service import ValuationService
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    prefix="/v1/data-products/{product_id}", tags=["valuations"], route_class=UnitOfWorkRoute
)


def present(row: ValuationRow) -> ValuationOut:
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
    )


@router.post("/valuations", status_code=status.HTTP_201_CREATED, response_model=ValuationOut)
async def record_valuation(
    product_id: uuid.UUID, body: ValuationCreate, session: SessionDep, principal: CurrentPrincipal
) -> ValuationOut:
    """Value the product by the cost, income or market approach; method, inputs, base date,
    appraiser and amount are kept (owner only, once registered)."""
    return present(await ValuationService(session).record(principal, product_id, body))


@router.get("/valuations", response_model=ValuationList)
async def list_valuations(
    product_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ValuationList:
    """Every valuation of the product, oldest base date first."""
    rows = await ValuationService(session).history(principal, product_id)
    return ValuationList(items=[present(r) for r in rows])


@router.put("/balance-sheet", response_model=BookPositionOut)
async def book_data_product(
    product_id: uuid.UUID, body: BalanceSheetIn, session: SessionDep, principal: CurrentPrincipal
) -> BookPositionOut:
    """Record how the owner books the product (入表) and return today's book position."""
    return present_position(
        product_id, *await ValuationService(session).book(principal, product_id, body)
    )


@router.get("/balance-sheet", response_model=BookPositionOut)
async def balance_sheet(
    product_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    as_of: date | None = None,
) -> BookPositionOut:
    """Book value (capitalised cost less amortisation or write-down) beside the latest
    valuation with a base date on or before ``as_of`` (default today, UTC)."""
    day = as_of or datetime.now(UTC).date()
    return present_position(
        product_id, *await ValuationService(session).position(principal, product_id, day)
    )


def present_position(
    product_id: uuid.UUID, pos: BookPosition, row: BalanceSheetRow
) -> BookPositionOut:
    return BookPositionOut(
        product_id=product_id,
        as_of=pos.as_of,
        classification=pos.classification.value,
        capitalised_cost=pos.capitalised_cost,
        expensed_cost=pos.expensed_cost,
        accumulated_amortisation=pos.accumulated_amortisation,
        write_down=pos.write_down,
        book_value=pos.book_value,
        latest_valuation=pos.latest_valuation,
        valuation_base_date=pos.valuation_base_date,
        valuation_surplus=pos.valuation_surplus,
        cost_lines=list(row.cost_lines),
    )
