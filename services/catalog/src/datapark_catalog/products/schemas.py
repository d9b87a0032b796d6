"""Request and response bodies of the data product endpoints (listings and valuations have
their own schemas in their packages)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from datapark_catalog.products.registration import ProductMetadata, ReviewDecision
from datapark_catalog.products.repository import ProductRecord
from datapark_catalog.terms.schemas import MoneyOut
from datapark_contracts.events.catalog_listings import (
    DataClassification,
    DataDomain,
    MeteredUnit,
    ProductForm,
    Provenance,
    SubscriptionPeriod,
)
from datapark_kit.schemas import RequestModel

_OWNER = "0193a5e1-0f00-7a6b-b1c2-d3e4f5a6b7c8"
_PRODUCT: JsonDict = {
    "id": "0193a5e2-6b10-7f3e-8c2d-1a2b3c4d5e6f",
    "owner_participant_id": _OWNER,
    "title": "Stamping press vibration telemetry 2025",
    "description": "Per-second vibration and temperature of 40 presses in Hall 2.",
    "keywords": ["vibration", "predictive maintenance"],
    "domain": "industrial_manufacturing",
    "product_form": "dataset",
    "classification": "general",
    "personal_information": False,
    "provenance": "collected",
    "provenance_detail": "sensors on the presses, collected by the owner",
    "update_frequency": "daily",
    "format": "parquet",
    "license": "datapark-standard-1.0",
    "contact": "data@press.example",
    "temporal_coverage_start": "2025-01-01",
    "temporal_coverage_end": "2025-12-31",
    "spatial_coverage": "Lanzhou New Area",
    "sample_sha256": "9f2c1e7a4b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
    "state": "listed",
    "version": 5,
    "certificate": {
        "number": "DPR-20261130-000042",
        "owner_participant_id": _OWNER,
        "content_hash": "4b1d0c2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80",
        "issued_at": "2026-11-30T08:10:00Z",
    },
    "reviews": [
        {
            "reviewer_id": "0193a5e0-0001-7000-8000-000000000001",
            "decision": "approved",
            "reasons": ["rights verified", "no personal information"],
            "document_hashes": ["0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"],
            "reviewed_at": "2026-11-30T08:10:00Z",
        }
    ],
    "listings": [
        {
            "listing_id": "0193a5e2-7c41-7d7a-9a51-3f1c2b7e9d01",
            "venue_code": "BJIDE",
            "venue_name": "北京国际大数据交易所",
            "reference": "BJIDE-20261130-000042",
            "state": "listed",
            "price_terms": {"kind": "fixed", "price": {"amount": "50000.00", "currency": "CNY"}},
            "listed_at": "2026-11-30T09:15:00Z",
        }
    ],
    "created_at": "2026-11-30T07:55:00Z",
    "updated_at": "2026-11-30T09:15:00Z",
}


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DataProductCreate(_In):
    """The DCAT-like description of a data product (GB/T 36343-2018 fields)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Stamping press vibration telemetry 2025",
                    "description": "Per-second vibration and temperature of 40 presses.",
                    "keywords": ["vibration", "predictive maintenance"],
                    "domain": "industrial_manufacturing",
                    "product_form": "dataset",
                    "classification": "general",
                    "provenance": "collected",
                    "update_frequency": "daily",
                    "format": "parquet",
                    "license": "datapark-standard-1.0",
                    "contact": "data@press.example",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    keywords: list[str] = Field(min_length=1, max_length=20)
    domain: DataDomain
    product_form: ProductForm
    classification: DataClassification
    personal_information: bool = False
    legal_basis: str | None = Field(
        default=None, max_length=500, description="required when personal_information is true"
    )
    provenance: Provenance
    provenance_detail: str = Field(default="", max_length=1000)
    update_frequency: str = Field(min_length=1, max_length=100)
    format: str = Field(min_length=1, max_length=100)
    license: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=200)
    temporal_coverage_start: date | None = None
    temporal_coverage_end: date | None = None
    spatial_coverage: str | None = Field(default=None, max_length=200)
    sample_sha256: str | None = Field(default=None, description="sha256 (hex) of the sample")

    def to_metadata(self) -> ProductMetadata:
        return ProductMetadata(
            title=self.title,
            description=self.description,
            keywords=tuple(self.keywords),
            domain=self.domain,
            product_form=self.product_form,
            classification=self.classification,
            personal_information=self.personal_information,
            legal_basis=self.legal_basis,
            provenance=self.provenance,
            provenance_detail=self.provenance_detail,
            update_frequency=self.update_frequency,
            format=self.format,
            license=self.license,
            contact=self.contact,
            temporal_coverage_start=self.temporal_coverage_start,
            temporal_coverage_end=self.temporal_coverage_end,
            spatial_coverage=self.spatial_coverage,
            sample_sha256=self.sample_sha256,
        )


class DataProductUpdate(_In):
    """Changes to a draft; omitted fields stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"keywords": ["vibration", "predictive maintenance", "stamping"], "format": "csv"}
            ]
        }
    )

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=10_000)
    keywords: list[str] | None = Field(default=None, min_length=1, max_length=20)
    domain: DataDomain | None = None
    product_form: ProductForm | None = None
    classification: DataClassification | None = None
    personal_information: bool | None = None
    legal_basis: str | None = Field(default=None, max_length=500)
    provenance: Provenance | None = None
    provenance_detail: str | None = Field(default=None, max_length=1000)
    update_frequency: str | None = Field(default=None, min_length=1, max_length=100)
    format: str | None = Field(default=None, min_length=1, max_length=100)
    license: str | None = Field(default=None, min_length=1, max_length=200)
    contact: str | None = Field(default=None, min_length=1, max_length=200)
    temporal_coverage_start: date | None = None
    temporal_coverage_end: date | None = None
    spatial_coverage: str | None = Field(default=None, max_length=200)
    sample_sha256: str | None = None


class ReviewRequest(_In):
    """An operator's compliance review decision with its evidence."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "approved",
                    "reasons": ["rights verified", "no personal information"],
                    "document_hashes": [
                        "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
                    ],
                }
            ]
        }
    )

    decision: ReviewDecision
    reasons: list[str] = Field(default_factory=list, max_length=50)
    document_hashes: list[str] = Field(
        min_length=1, max_length=100, description="sha256 (hex) of every document examined"
    )


class ReasonRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the licence with the data subject ended"}]}
    )

    reason: str = Field(min_length=1, max_length=500)


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    owner_participant_id: uuid.UUID
    content_hash: str
    issued_at: datetime


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reviewer_id: uuid.UUID
    decision: Literal["approved", "rejected"]
    reasons: list[str]
    document_hashes: list[str]
    reviewed_at: datetime


class PriceTermsOut(BaseModel):
    """A listing's price terms as published: the fields of its ``kind`` (the others absent)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "fixed", "price": {"amount": "50000.00", "currency": "CNY"}}]
        }
    )

    kind: Literal["fixed", "subscription", "metered", "negotiable"]
    price: MoneyOut | None = None
    price_per_period: MoneyOut | None = None
    period: SubscriptionPeriod | None = None
    unit: MeteredUnit | None = None
    unit_price: MoneyOut | None = None
    monthly_maximum: MoneyOut | None = None
    indicative_price: MoneyOut | None = None


class VenueListingOut(BaseModel):
    listing_id: uuid.UUID
    venue_code: str
    venue_name: str
    reference: str
    state: str
    price_terms: PriceTermsOut
    listed_at: datetime


class DataProductOut(BaseModel):
    """A data product with its certificate, reviews and venue listings (read from the rows)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PRODUCT]})

    id: uuid.UUID
    owner_participant_id: uuid.UUID
    title: str
    description: str
    keywords: list[str]
    domain: str
    product_form: str
    classification: str
    personal_information: bool
    legal_basis: str | None = None
    provenance: str
    provenance_detail: str
    update_frequency: str
    format: str
    license: str
    contact: str
    temporal_coverage_start: date | None = None
    temporal_coverage_end: date | None = None
    spatial_coverage: str | None = None
    sample_sha256: str | None = None
    state: str
    version: int
    certificate: CertificateOut | None = None
    reviews: list[ReviewOut]
    listings: list[VenueListingOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ProductRecord) -> DataProductOut:
        """The response body of one product aggregate as loaded by the repository."""
        listings = [
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
        ]
        columns = {name: getattr(record.product, name) for name in _PRODUCT_COLUMNS}
        return cls.model_validate(
            {
                **columns,
                "certificate": record.certificate,
                "reviews": record.reviews,
                "listings": listings,
            },
            from_attributes=True,
        )


_PRODUCT_COLUMNS = tuple(
    name
    for name in DataProductOut.model_fields
    if name not in ("certificate", "reviews", "listings")
)


class DataProductPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PRODUCT]}]})

    items: list[DataProductOut]
    next_cursor: str | None = None
