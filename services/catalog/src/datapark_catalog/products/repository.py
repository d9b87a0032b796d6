"""All SQL about data products, their certificates, reviews and venue listings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.products.models import (
    CERTIFICATE_SEQUENCE,
    LISTING_REFERENCE_SEQUENCE,
    ComplianceReview,
    DataProduct,
    RegistrationCertificate,
    VenueListingRow,
    VenueRow,
)


@dataclass
class ProductRecord:
    """A product with everything that belongs to its aggregate, loaded explicitly."""

    product: DataProduct
    certificate: RegistrationCertificate | None
    reviews: list[ComplianceReview]
    listings: list[VenueListingRow]
    venues: dict[str, VenueRow] = field(default_factory=dict)


class ProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def get(self, product_id: uuid.UUID, *, for_update: bool = False) -> DataProduct | None:
        query = select(DataProduct).where(DataProduct.id == product_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def record(self, product: DataProduct) -> ProductRecord:
        certificate = (
            await self.session.execute(
                select(RegistrationCertificate).where(
                    RegistrationCertificate.product_id == product.id
                )
            )
        ).scalar_one_or_none()
        reviews = list(
            (
                await self.session.execute(
                    select(ComplianceReview)
                    .where(ComplianceReview.product_id == product.id)
                    .order_by(ComplianceReview.reviewed_at, ComplianceReview.id)
                )
            ).scalars()
        )
        listings = list(
            (
                await self.session.execute(
                    select(VenueListingRow)
                    .where(VenueListingRow.product_id == product.id)
                    .order_by(VenueListingRow.listed_at, VenueListingRow.id)
                )
            ).scalars()
        )
        venues = await self.venues({listing.venue_code for listing in listings})
        return ProductRecord(product, certificate, reviews, listings, venues)

    async def venues(self, codes: set[str]) -> dict[str, VenueRow]:
        if not codes:
            return {}
        rows = await self.session.execute(select(VenueRow).where(VenueRow.code.in_(codes)))
        return {v.code: v for v in rows.scalars()}

    async def venue(self, code: str) -> VenueRow | None:
        return await self.session.get(VenueRow, code)

    async def all_venues(self) -> list[VenueRow]:
        return list(
            (await self.session.execute(select(VenueRow).order_by(VenueRow.code))).scalars()
        )

    async def next_certificate_sequence(self) -> int:
        return int(
            (await self.session.execute(select(CERTIFICATE_SEQUENCE.next_value()))).scalar_one()
        )

    async def next_listing_sequence(self) -> int:
        value = await self.session.execute(select(LISTING_REFERENCE_SEQUENCE.next_value()))
        return int(value.scalar_one())

    async def page(
        self, *, after: uuid.UUID | None, limit: int, owner: uuid.UUID | None
    ) -> list[DataProduct]:
        query = select(DataProduct).order_by(DataProduct.id).limit(limit)
        if after is not None:
            query = query.where(DataProduct.id > after)
        if owner is not None:
            query = query.where(DataProduct.owner_participant_id == owner)
        return list((await self.session.execute(query)).scalars())
