"""HTTP endpoints of data products: describe, submit, review, list on venues, suspend,
reinstate, delist, retire."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from datapark_catalog.listings.rules import ListingAction
from datapark_catalog.listings.schemas import ListingCreate, ListingTermsChange
from datapark_catalog.listings.service import ListingService
from datapark_catalog.products.repository import ProductRecord
from datapark_catalog.products.schemas import (
    CertificateOut,
    DataProductCreate,
    DataProductOut,
    DataProductPage,
    DataProductUpdate,
    ReasonRequest,
    ReviewOut,
    ReviewRequest,
    VenueListingOut,
)
from datapark_catalog.products.service import ProductService
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(prefix="/v1/data-products", tags=["data products"], route_class=UnitOfWorkRoute)

ProductId = Annotated[uuid.UUID, "the data product's id"]


def present(record: ProductRecord) -> DataProductOut:
    p = record.product
    cert = record.certificate
    return DataProductOut(
        id=p.id,
        owner_participant_id=p.owner_participant_id,
        title=p.title,
        description=p.description,
        keywords=list(p.keywords),
        domain=p.domain,
        product_form=p.product_form,
        classification=p.classification,
        personal_information=p.personal_information,
        legal_basis=p.legal_basis,
        provenance=p.provenance,
        provenance_detail=p.provenance_detail,
        update_frequency=p.update_frequency,
        format=p.format,
        license=p.license,
        contact=p.contact,
        temporal_coverage_start=p.temporal_coverage_start,
        temporal_coverage_end=p.temporal_coverage_end,
        spatial_coverage=p.spatial_coverage,
        sample_sha256=p.sample_sha256,
        state=p.state,
        version=p.version,
        certificate=None
        if cert is None
        else CertificateOut(
            number=cert.number,
            owner_participant_id=cert.owner_participant_id,
            content_hash=cert.content_hash,
            issued_at=cert.issued_at,
        ),
        reviews=[
            ReviewOut(
                reviewer_id=r.reviewer_id,
                decision="approved" if r.decision == "approved" else "rejected",
                reasons=list(r.reasons),
                document_hashes=list(r.document_hashes),
                reviewed_at=r.reviewed_at,
            )
            for r in record.reviews
        ],
        listings=[
            VenueListingOut(
                listing_id=row.id,
                venue_code=row.venue_code,
                venue_name=record.venues[row.venue_code].name,
                reference=row.reference,
                state=row.state,
                price_terms=row.price_terms,
                listed_at=row.listed_at,
            )
            for row in record.listings
        ],
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


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
    return present(await ProductService(session).create(principal, body))


@router.get("", response_model=DataProductPage)
async def list_data_products(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> DataProductPage:
    """The caller's products (operators and auditors see all)."""
    items, next_cursor = await ProductService(session).page(principal, cursor, limit)
    return DataProductPage(items=[present(r) for r in items], next_cursor=next_cursor)


@router.get("/{product_id}", response_model=DataProductOut)
async def get_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """One product with its certificate, reviews and venue listings; another tenant's is 404."""
    return present(await ProductService(session).get(principal, product_id))


@router.patch("/{product_id}", response_model=DataProductOut)
async def update_data_product(
    product_id: ProductId, body: DataProductUpdate, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Change a draft's metadata (owner only)."""
    return present(await ProductService(session).update(principal, product_id, body))


@router.post("/{product_id}/submit", response_model=DataProductOut)
async def submit_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Submit a draft for registration (登记) and compliance review."""
    return present(await ProductService(session).submit(principal, product_id))


@router.post("/{product_id}/revise", response_model=DataProductOut)
async def revise_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Take a rejected product back to draft to amend and resubmit it."""
    return present(await ProductService(session).revise(principal, product_id))


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
    return present(await ProductService(session).review(principal, product_id, body))


@router.post(
    "/{product_id}/listings",
    status_code=status.HTTP_201_CREATED,
    response_model=DataProductOut,
)
async def list_data_product(
    product_id: ProductId, body: ListingCreate, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """List a registered product on a venue with price terms (挂牌). Core data is refused; a
    suspended participant cannot list."""
    return present(await ListingService(session).list_on_venue(principal, product_id, body))


@router.post("/{product_id}/listings/{venue_code}/suspend", response_model=DataProductOut)
async def suspend_listing(
    product_id: ProductId,
    venue_code: str,
    body: ReasonRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Suspend the product on one venue (owner or operator)."""
    return present(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.SUSPEND, reason=body.reason
        )
    )


@router.post("/{product_id}/listings/{venue_code}/resume", response_model=DataProductOut)
async def resume_listing(
    product_id: ProductId, venue_code: str, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Resume a suspended venue listing (owner only)."""
    return present(
        await ListingService(session).step(principal, product_id, venue_code, ListingAction.RESUME)
    )


@router.post("/{product_id}/listings/{venue_code}/delist", response_model=DataProductOut)
async def delist_listing(
    product_id: ProductId,
    venue_code: str,
    body: ReasonRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Delist the product from one venue; the last venue delists the product."""
    return present(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.DELIST, reason=body.reason
        )
    )


@router.put("/{product_id}/listings/{venue_code}/price-terms", response_model=DataProductOut)
async def change_listing_terms(
    product_id: ProductId,
    venue_code: str,
    body: ListingTermsChange,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DataProductOut:
    """Change a venue listing's price terms (owner only)."""
    return present(
        await ListingService(session).step(
            principal, product_id, venue_code, ListingAction.CHANGE_TERMS, terms=body.price_terms
        )
    )


@router.post("/{product_id}/suspend", response_model=DataProductOut)
async def suspend_data_product(
    product_id: ProductId, body: ReasonRequest, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Suspend the product on every venue (owner or operator)."""
    return present(await ProductService(session).suspend(principal, product_id, body.reason))


@router.post("/{product_id}/reinstate", response_model=DataProductOut)
async def reinstate_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Lift a product-wide suspension (owner or operator)."""
    return present(await ProductService(session).reinstate(principal, product_id))


@router.post("/{product_id}/delist", response_model=DataProductOut)
async def delist_data_product(
    product_id: ProductId, body: ReasonRequest, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Delist the product from every venue (owner or operator)."""
    return present(await ProductService(session).delist(principal, product_id, body.reason))


@router.post("/{product_id}/retire", response_model=DataProductOut)
async def retire_data_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal
) -> DataProductOut:
    """Retire the product for good (owner only)."""
    return present(await ProductService(session).retire(principal, product_id))
