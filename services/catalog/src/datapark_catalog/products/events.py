"""The data product aggregate as a ``catalog.listings.v1`` snapshot, and its publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.products.models import ComplianceReview as ReviewRow
from datapark_catalog.products.repository import ProductRecord
from datapark_catalog.tables import OUTBOX
from datapark_contracts.events.catalog_listings import (
    ComplianceReview,
    DataProductSnapshot,
    RegistrationCertificate,
    VenueListing,
)


def review_payload(row: ReviewRow) -> ComplianceReview:
    return ComplianceReview(
        reviewer_id=row.reviewer_id,
        decision="approved" if row.decision == "approved" else "rejected",
        reasons=tuple(row.reasons),
        document_hashes=tuple(row.document_hashes),
        reviewed_at=row.reviewed_at,
    )


def snapshot_fields(record: ProductRecord, occurred_at: datetime) -> dict[str, Any]:
    p = record.product
    cert = record.certificate
    return {
        "product_id": p.id,
        "owner_participant_id": p.owner_participant_id,
        "title": p.title,
        "description": p.description,
        "keywords": tuple(p.keywords),
        "domain": p.domain,
        "product_form": p.product_form,
        "classification": p.classification,
        "personal_information": p.personal_information,
        "legal_basis": p.legal_basis,
        "provenance": p.provenance,
        "update_frequency": p.update_frequency,
        "format": p.format,
        "license": p.license,
        "temporal_coverage_start": p.temporal_coverage_start,
        "temporal_coverage_end": p.temporal_coverage_end,
        "spatial_coverage": p.spatial_coverage,
        "state": p.state,
        "certificate": None
        if cert is None
        else RegistrationCertificate(
            number=cert.number,
            owner_participant_id=cert.owner_participant_id,
            content_hash=cert.content_hash,
            issued_at=cert.issued_at,
        ),
        "listings": tuple(
            VenueListing.model_validate(
                {
                    "listing_id": row.id,
                    "venue_code": row.venue_code,
                    "venue_name": record.venues[row.venue_code].name,
                    "venue_fee_rate": record.venues[row.venue_code].fee_rate,
                    "reference": row.reference,
                    "state": row.state,
                    "price_terms": row.price_terms,
                    "listed_at": row.listed_at,
                }
            )
            for row in record.listings
        ),
        "occurred_at": occurred_at,
    }


async def publish(
    session: AsyncSession,
    record: ProductRecord,
    event: type[DataProductSnapshot],
    occurred_at: datetime,
    **extra: Any,
) -> None:
    """Append the product's fact to the outbox, in the caller's transaction."""
    payload = event.model_validate(snapshot_fields(record, occurred_at) | extra)
    await OUTBOX.append(session, payload, occurred_at=occurred_at)
