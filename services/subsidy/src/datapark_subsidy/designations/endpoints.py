"""HTTP endpoints of designations: operators record them, everyone signed in reads them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_subsidy.designations.schemas import (
    DesignationDetailOut,
    DesignationIn,
    DesignationOut,
    DesignationPage,
    DesignationPatch,
)
from datapark_subsidy.designations.service import DesignationService
from datapark_subsidy.policies.endpoints import ParametersDep
from datapark_subsidy.problems import DESIGNATION

router = APIRouter(prefix="/v1/designations", tags=["designations"], route_class=UnitOfWorkRoute)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DesignationOut,
    dependencies=[require_roles("operator")],
    responses=problems(*DESIGNATION),
)
async def record_designation(
    body: DesignationIn, session: SessionDep, principal: CurrentPrincipal, params: ParametersDep
) -> DesignationOut:
    """Record a provincial designation of a data-industry cluster or data-element park
    (operators only). Its Fujian cap is shared by whoever applies under it."""
    record = await DesignationService(session, params).record(
        principal,
        kind=body.kind,
        name=body.name,
        region_code=body.region_code,
        designated_on=body.designated_on,
    )
    return DesignationOut.of(record)


@router.get("", response_model=DesignationPage)
async def list_designations(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ParametersDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DesignationPage:
    """Every designation on record, oldest first."""
    items, next_cursor = await DesignationService(session, params).page(cursor, limit)
    return DesignationPage(items=[DesignationOut.of(d) for d in items], next_cursor=next_cursor)


@router.get("/{designation_id}", response_model=DesignationDetailOut)
async def get_designation(
    designation_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ParametersDep,
) -> DesignationDetailOut:
    """One designation with its shared budget (cap, reserved, committed, remaining)."""
    record, budgets = await DesignationService(session, params).get(designation_id)
    return DesignationDetailOut.with_budgets(record, budgets)


@router.patch(
    "/{designation_id}",
    response_model=DesignationOut,
    dependencies=[require_roles("operator")],
    responses=problems(*DESIGNATION),
)
async def correct_designation(
    designation_id: uuid.UUID,
    body: DesignationPatch,
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ParametersDep,
) -> DesignationOut:
    """Correct a designation's name, region or date (operators only) until someone applies
    under it; then 409 ``designation_in_use``."""
    record = await DesignationService(session, params).correct(
        principal,
        designation_id,
        name=body.name,
        region_code=body.region_code,
        designated_on=body.designated_on,
    )
    return DesignationOut.of(record)
