"""Use cases of data products: describe, submit, review, suspend, reinstate, retire (listing
on venues and delisting are the listings' use cases).

Every state change goes through ``states.transition`` (409 naming the current state when not
allowed) and publishes the product's snapshot on ``catalog.listings.v1`` in the same
transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products import registration, states
from datapark_catalog.products.access import (
    ensure_active_participant,
    ensure_owner,
    ensure_visible,
)
from datapark_catalog.products.events import publish, review_payload
from datapark_catalog.products.models import (
    ComplianceReview,
    DataProduct,
    RegistrationCertificate,
)
from datapark_catalog.products.registration import ReviewDecision
from datapark_catalog.products.repository import ProductRecord, ProductRepository
from datapark_catalog.products.schemas import DataProductCreate, DataProductUpdate, ReviewRequest
from datapark_catalog.products.states import ProductAction
from datapark_contracts.events.catalog_listings import (
    DataProductDrafted,
    DataProductRegistered,
    DataProductReinstated,
    DataProductRejected,
    DataProductRetired,
    DataProductReviewStarted,
    DataProductRevised,
    DataProductSnapshot,
    DataProductState,
    DataProductSubmitted,
    DataProductSuspended,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Forbidden, NotFound
from datapark_kit.pagination import cursor_id, keyset_page

WHAT = "data product"


def metadata_of(p: DataProduct) -> registration.ProductMetadata:
    return DataProductCreate.model_validate(
        {name: getattr(p, name) for name in DataProductCreate.model_fields}
    ).to_metadata()


class ProductService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = ProductRepository(session)

    # --- reading ---------------------------------------------------------------------------

    async def get(self, principal: Principal, product_id: uuid.UUID) -> ProductRecord:
        product = await self.repo.get(product_id)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        ensure_visible(principal, product.owner_participant_id, WHAT)
        return await self.repo.record(product)

    async def page(
        self, principal: Principal, cursor: str | None, limit: int
    ) -> tuple[list[ProductRecord], str | None]:
        after = cursor_id(cursor)
        owner = None if principal.sees_all_tenants else principal.participant_id
        rows = await self.repo.page(after=after, limit=limit + 1, owner=owner)
        page, next_cursor = keyset_page(rows, limit, key=lambda p: p.id)
        return [await self.repo.record(p) for p in page], next_cursor

    # --- describing ------------------------------------------------------------------------

    async def create(self, principal: Principal, data: DataProductCreate) -> ProductRecord:
        metadata = registration.validate_metadata(data.to_metadata())
        now = datetime.now(UTC)
        product = DataProduct(
            id=uuid7(),
            owner_participant_id=principal.participant_id,
            **_metadata_columns(metadata),
            state=DataProductState.DRAFT.value,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(product)
        return await self._publish(product, DataProductDrafted, now)

    async def update(
        self, principal: Principal, product_id: uuid.UUID, data: DataProductUpdate
    ) -> ProductRecord:
        product = await self._owned(principal, product_id)
        self._step(product, ProductAction.EDIT)
        changes = data.model_dump(exclude_unset=True)
        if "keywords" in changes:
            changes["keywords"] = tuple(changes["keywords"])
        metadata = registration.validate_metadata(replace(metadata_of(product), **changes))
        for name, value in _metadata_columns(metadata).items():
            setattr(product, name, value)
        return await self._changed(product, DataProductRevised)

    async def submit(self, principal: Principal, product_id: uuid.UUID) -> ProductRecord:
        product = await self._owned(principal, product_id)
        registration.validate_metadata(metadata_of(product))
        self._step(product, ProductAction.SUBMIT)
        return await self._changed(product, DataProductSubmitted)

    async def revise(self, principal: Principal, product_id: uuid.UUID) -> ProductRecord:
        product = await self._owned(principal, product_id)
        self._step(product, ProductAction.REVISE)
        return await self._changed(product, DataProductRevised)

    # --- compliance review (operators) -----------------------------------------------------

    async def review(
        self, principal: Principal, product_id: uuid.UUID, data: ReviewRequest
    ) -> ProductRecord:
        """Decide a submitted or under-review product. Taking up a submitted product first
        records ``review_started``; approval issues the registration certificate."""
        product = await self._locked(product_id)
        if product.owner_participant_id == principal.participant_id:
            # Compliance review is independent: nobody reviews their own data product.
            raise Forbidden(
                "an operator cannot review its own data product", code=CatalogProblem.OWN_PRODUCT
            )
        now = datetime.now(UTC)
        review = registration.validate_review(
            registration.ComplianceReview(
                reviewer_id=principal.participant_id,
                decision=data.decision,
                reasons=tuple(data.reasons),
                document_hashes=tuple(data.document_hashes),
                reviewed_at=now,
            ),
            metadata_of(product),
        )
        if product.state == DataProductState.SUBMITTED.value:
            self._step(product, ProductAction.START_REVIEW)
            await self._changed(product, DataProductReviewStarted, reviewer_id=review.reviewer_id)
        self._step(product, registration.review_action(review.decision))
        row = ComplianceReview(
            id=uuid7(),
            product_id=product.id,
            reviewer_id=review.reviewer_id,
            decision=review.decision.value,
            reasons=list(review.reasons),
            document_hashes=list(review.document_hashes),
            reviewed_at=now,
        )
        await self.repo.add(row)
        if review.decision is ReviewDecision.APPROVED:
            certificate = registration.issue_certificate(
                product.id,
                product.owner_participant_id,
                metadata_of(product),
                issued_at=now,
                sequence=await self.repo.next_certificate_sequence(),
            )
            await self.repo.add(
                RegistrationCertificate(
                    number=certificate.number,
                    product_id=product.id,
                    owner_participant_id=certificate.owner_participant_id,
                    content_hash=certificate.content_hash,
                    issued_at=certificate.issued_at,
                )
            )
        event = (
            DataProductRegistered
            if review.decision is ReviewDecision.APPROVED
            else DataProductRejected
        )
        return await self._changed(product, event, review=review_payload(row))

    # --- product-wide listing state --------------------------------------------------------

    async def suspend(
        self, principal: Principal, product_id: uuid.UUID, reason: str
    ) -> ProductRecord:
        """The owner or an operator (compliance) suspends the product on every venue."""
        product = await self._owned_or_operator(principal, product_id)
        self._step(product, ProductAction.SUSPEND)
        return await self._changed(product, DataProductSuspended, reason=reason)

    async def reinstate(self, principal: Principal, product_id: uuid.UUID) -> ProductRecord:
        product = await self._owned_or_operator(principal, product_id)
        await ensure_active_participant(self.session, product.owner_participant_id)
        self._step(product, ProductAction.REINSTATE)
        return await self._changed(product, DataProductReinstated)

    async def retire(self, principal: Principal, product_id: uuid.UUID) -> ProductRecord:
        product = await self._owned(principal, product_id)
        self._step(product, ProductAction.RETIRE)
        return await self._changed(product, DataProductRetired)

    # --- helpers ---------------------------------------------------------------------------

    async def _locked(self, product_id: uuid.UUID) -> DataProduct:
        product = await self.repo.get(product_id, for_update=True)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        return product

    async def _owned(self, principal: Principal, product_id: uuid.UUID) -> DataProduct:
        product = await self._locked(product_id)
        ensure_owner(principal, product.owner_participant_id, WHAT)
        return product

    async def _owned_or_operator(self, principal: Principal, product_id: uuid.UUID) -> DataProduct:
        product = await self._locked(product_id)
        if not principal.has("operator"):
            ensure_owner(principal, product.owner_participant_id, WHAT)
        return product

    @staticmethod
    def _step(product: DataProduct, action: ProductAction) -> None:
        product.state = states.transition(DataProductState(product.state), action).value

    async def _changed(
        self, product: DataProduct, event: type[DataProductSnapshot], **extra: Any
    ) -> ProductRecord:
        now = datetime.now(UTC)
        product.updated_at = now
        product.version += 1
        await self.session.flush()
        return await self._publish(product, event, now, **extra)

    async def _publish(
        self,
        product: DataProduct,
        event: type[DataProductSnapshot],
        now: datetime,
        **extra: Any,
    ) -> ProductRecord:
        record = await self.repo.record(product)
        await publish(self.session, record, event, now, **extra)
        return record


def _metadata_columns(m: registration.ProductMetadata) -> dict[str, Any]:
    return {**registration.metadata_fields(m), "sample_sha256": m.sample_sha256}
