"""Registering a data product (登记): its metadata rules, the registration certificate and the
compliance review (合规评估). Core data (核心数据) is never listed; personal information needs a
recorded legal basis. The lifecycle itself is ``datapark_catalog.products.states``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.states import ProductAction
from datapark_contracts.canonical import canonical_json
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataDomain,
    ProductForm,
    Provenance,
)
from datapark_kit.errors import Unprocessable

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_KEYWORDS = 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ProductMetadata:
    """DCAT-like description of a data product (GB/T 36343-2018 fields)."""

    title: str
    description: str
    keywords: tuple[str, ...]
    domain: DataDomain
    product_form: ProductForm
    classification: DataClassification
    personal_information: bool
    legal_basis: str | None
    provenance: Provenance
    provenance_detail: str
    update_frequency: str
    format: str
    license: str
    contact: str
    temporal_coverage_start: date | None = None
    temporal_coverage_end: date | None = None
    spatial_coverage: str | None = None
    sample_sha256: str | None = None


def _required(value: str, field: str, limit: int = MAX_TITLE) -> None:
    if not value.strip():
        raise Unprocessable(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise Unprocessable(f"{field} is longer than {limit} characters", field=field)


def validate_metadata(m: ProductMetadata) -> ProductMetadata:
    """Check the metadata; raise ``Unprocessable`` naming the first offending field."""
    _required(m.title, "title")
    _required(m.description, "description", MAX_DESCRIPTION)
    if not m.keywords:
        raise Unprocessable("at least one keyword is needed", field="keywords")
    if len(m.keywords) > MAX_KEYWORDS:
        raise Unprocessable(f"at most {MAX_KEYWORDS} keywords", field="keywords")
    cleaned = [k.strip().casefold() for k in m.keywords]
    if any(not k for k in cleaned):
        raise Unprocessable("keywords must not be empty", field="keywords")
    if len(set(cleaned)) != len(cleaned):
        raise Unprocessable("keywords must be unique", field="keywords")
    if m.personal_information and not (m.legal_basis and m.legal_basis.strip()):
        raise Unprocessable(
            "personal information needs a recorded legal basis", field="legal_basis"
        )
    if m.provenance in (Provenance.PURCHASED, Provenance.LICENSED):
        _required(m.provenance_detail, "provenance_detail")
    for field in ("update_frequency", "format", "license", "contact"):
        _required(getattr(m, field), field)
    if (
        m.temporal_coverage_start is not None
        and m.temporal_coverage_end is not None
        and m.temporal_coverage_end < m.temporal_coverage_start
    ):
        raise Unprocessable(
            "temporal coverage ends before it starts", field="temporal_coverage_end"
        )
    if m.sample_sha256 is not None and not _SHA256.match(m.sample_sha256):
        raise Unprocessable("sample_sha256 must be 64 lowercase hex digits", field="sample_sha256")
    return m


def ensure_listable(classification: DataClassification) -> None:
    """Core data (核心数据) can never be listed, whatever its state."""
    if classification is DataClassification.CORE:
        raise Unprocessable(
            "core data can never be listed", field="classification", code=CatalogProblem.CORE_DATA
        )


# --- registration certificate -----------------------------------------------------------------


def metadata_fields(m: ProductMetadata) -> dict[str, Any]:
    """The descriptive fields of a product, by name (dates as dates, enums as their values)."""
    return {
        "title": m.title,
        "description": m.description,
        "keywords": list(m.keywords),
        "domain": m.domain.value,
        "product_form": m.product_form.value,
        "classification": m.classification.value,
        "personal_information": m.personal_information,
        "legal_basis": m.legal_basis,
        "provenance": m.provenance.value,
        "provenance_detail": m.provenance_detail,
        "update_frequency": m.update_frequency,
        "format": m.format,
        "license": m.license,
        "contact": m.contact,
        "temporal_coverage_start": m.temporal_coverage_start,
        "temporal_coverage_end": m.temporal_coverage_end,
        "spatial_coverage": m.spatial_coverage,
    }


def metadata_document(m: ProductMetadata) -> dict[str, Any]:
    """The metadata as plain JSON values, the input of the content hash."""
    return {
        name: _iso(value) if isinstance(value, date) else value
        for name, value in metadata_fields(m).items()
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def content_hash(m: ProductMetadata) -> str:
    """sha256 (hex) over the RFC 8785 canonical JSON of ``{"metadata": …, "sample_sha256": …}``.

    Key order, whitespace and unicode escaping cannot change it; any metadata change does.
    """
    document = {"metadata": metadata_document(m), "sample_sha256": m.sample_sha256}
    return hashlib.sha256(canonical_json(document)).hexdigest()


@dataclass(frozen=True)
class RegistrationCertificate:
    """登记证书: number, owner, content hash and time of issue."""

    number: str
    product_id: UUID
    owner_participant_id: UUID
    content_hash: str
    issued_at: datetime


def certificate_number(issued_at: datetime, sequence: int) -> str:
    """``DPR-YYYYMMDD-NNNNNN``: the issue date (UTC) and a park-wide sequence number."""
    if sequence <= 0:
        raise ValueError("certificate sequence numbers start at 1")
    return f"DPR-{issued_at:%Y%m%d}-{sequence:06d}"


def issue_certificate(
    product_id: UUID,
    owner_participant_id: UUID,
    metadata: ProductMetadata,
    *,
    issued_at: datetime,
    sequence: int,
) -> RegistrationCertificate:
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    return RegistrationCertificate(
        number=certificate_number(issued_at, sequence),
        product_id=product_id,
        owner_participant_id=owner_participant_id,
        content_hash=content_hash(metadata),
        issued_at=issued_at,
    )


# --- compliance review ------------------------------------------------------------------------


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ComplianceReview:
    """An operator's decision with its evidence: the hashes of the documents examined."""

    reviewer_id: UUID
    decision: ReviewDecision
    reasons: tuple[str, ...]
    document_hashes: tuple[str, ...]
    reviewed_at: datetime


def validate_review(review: ComplianceReview, metadata: ProductMetadata) -> ComplianceReview:
    """Evidence rules: at least one document, hashes are sha256 hex, a rejection gives reasons,
    and no approval of personal information without a legal basis on record."""
    if not review.document_hashes:
        raise Unprocessable(
            "a review records the hashes of the documents examined", field="document_hashes"
        )
    for i, h in enumerate(review.document_hashes):
        if not _SHA256.match(h):
            raise Unprocessable(
                "document hashes are sha256, 64 lowercase hex digits",
                field=f"document_hashes[{i}]",
            )
    if len(set(review.document_hashes)) != len(review.document_hashes):
        raise Unprocessable("document hashes must be unique", field="document_hashes")
    if any(not r.strip() for r in review.reasons):
        raise Unprocessable("reasons must not be empty", field="reasons")
    if review.decision is ReviewDecision.REJECTED and not review.reasons:
        raise Unprocessable("a rejection states its reasons", field="reasons")
    if (
        review.decision is ReviewDecision.APPROVED
        and metadata.personal_information
        and not (metadata.legal_basis and metadata.legal_basis.strip())
    ):
        raise Unprocessable(
            "personal information needs a recorded legal basis", field="legal_basis"
        )
    return review


def review_action(decision: ReviewDecision) -> ProductAction:
    return ProductAction.APPROVE if decision is ReviewDecision.APPROVED else ProductAction.REJECT
