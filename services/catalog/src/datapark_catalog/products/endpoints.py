"""HTTP endpoints of data products: describe, submit, review, suspend, reinstate, retire
(listing on venues and delisting: ``datapark_catalog.listings.endpoints``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_catalog.problems import PRODUCTS
from datapark_catalog.products.schemas import (
    DataProductCreate,
    DataProductOut,
    DataProductPage,
    DataProductUpdate,
    ReasonRequest,
    ReviewRequest,
)
from datapark_catalog.products.service import ProductService
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    prefix="/v1/data-products",
    tags=["data products"],
    route_class=UnitOfWorkRoute,
    responses=problems(*PRODUCTS),
)

ProductId = Annotated[uuid.UUID, "the data product's id"]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DataProductOut,
    dependencies=[require_roles("participant", "partner")],
)
async def create_data_product(
    body: DataProductCreate, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Describe a data product (a draft owned by the caller's participant)."""
    return DataProductOut.of(await ProductService(session).create(principal, body))


@router.get("", response_model=DataProductPage)
async def list_data_products(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> DataProductPage:
    """The caller's products (operators and auditors see all)."""
    items, next_cursor = await ProductService(session).page(principal, cursor, limit)
    return DataProductPage(items=[DataProductOut.of(r) for r in items], next_cursor=next_cursor)


@router.get("/{product_id}", response_model=DataProductOut)
async def get_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """One product with its certificate, reviews and venue listings; another tenant's is 404."""
    return DataProductOut.of(await ProductService(session).get(principal, product_id))


@router.patch("/{product_id}", response_model=DataProductOut)
async def update_data_product(
    product_id: ProductId, body: DataProductUpdate, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Change a draft's metadata (owner only)."""
    return DataProductOut.of(await ProductService(session).update(principal, product_id, body))


@router.post("/{product_id}/submit", response_model=DataProductOut)
async def submit_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Submit a draft for registration (登记) and compliance review."""
    return DataProductOut.of(await ProductService(session).submit(principal, product_id))


@router.post("/{product_id}/revise", response_model=DataProductOut)
async def revise_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Take a rejected product back to draft to amend and resubmit it."""
    return DataProductOut.of(await ProductService(session).revise(principal, product_id))


@router.post(
    "/{product_id}/review",
    response_model=DataProductOut,
    dependencies=[require_roles("operator")],
)
async def review_data_product(
    product_id: ProductId, body: ReviewRequest, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Compliance review (合规评估) by an operator, with evidence. Approval registers the
    product and issues its certificate; rejection records the reasons."""
    return DataProductOut.of(await ProductService(session).review(principal, product_id, body))


@router.post("/{product_id}/suspend", response_model=DataProductOut)
async def suspend_data_product(
    product_id: ProductId, body: ReasonRequest, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Suspend the product on every venue (owner or operator)."""
    return DataProductOut.of(
        await ProductService(session).suspend(principal, product_id, body.reason)
    )


@router.post("/{product_id}/reinstate", response_model=DataProductOut)
async def reinstate_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Lift a product-wide suspension (owner or operator)."""
    return DataProductOut.of(await ProductService(session).reinstate(principal, product_id))


@router.post("/{product_id}/retire", response_model=DataProductOut)
async def retire_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Retire the product for good (owner only)."""
    return DataProductOut.of(await ProductService(session).retire(principal, product_id))
