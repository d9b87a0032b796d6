"""HTTP endpoints of valuations and balance-sheet records of a data product, and a company's
disclosure of its data resources."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_catalog.problems import VALUATIONS
from datapark_catalog.valuations.schemas import (
    BalanceSheetIn,
    BookPositionOut,
    DisclosureOut,
    ValuationCreate,
    ValuationOut,
    ValuationPage,
)
from datapark_catalog.valuations.service import ValuationService
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    tags=["valuations"], route_class=UnitOfWorkRoute, responses=problems(*VALUATIONS)
)
PRODUCT = "/v1/data-products/{product_id}"


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
    return ValuationOut.of(*await ValuationService(session).record(principal, product_id, body))


@router.get(f"{PRODUCT}/valuations", response_model=ValuationPage)
async def list_valuations(
    product_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> ValuationPage:
    """The product's valuations, oldest base date first, each with the impairment test it is
    of the booked asset (if any)."""
    rows, next_cursor = await ValuationService(session).history(
        principal, product_id, cursor, limit
    )
    return ValuationPage(items=[ValuationOut.of(r, t) for r, t in rows], next_cursor=next_cursor)


@router.put(f"{PRODUCT}/balance-sheet", response_model=BookPositionOut)
async def book_data_product(
    product_id: uuid.UUID, body: BalanceSheetIn, session: SessionDep, principal: CurrentPrincipal
) -> BookPositionOut:
    """Record how the owner books the product (入表, 财会〔2023〕11号) and return today's book
    position (or the position on recognition, when that is later). Each cost line comes back
    capitalised or expensed, with the rule that says so."""
    return BookPositionOut.of(
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
    return BookPositionOut.of(
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
    return DisclosureOut.of(participant_id, day, period_start, disclosure)
