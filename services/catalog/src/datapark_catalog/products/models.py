"""Data products as stored: metadata, lifecycle state, certificate, compliance reviews and
the venue listings that belong to the product's aggregate (and the venues they are on)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_catalog.tables import Base

CERTIFICATE_SEQUENCE = Sequence("registration_certificate_seq", metadata=Base.metadata)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


LISTED = "state = 'listed'"

PRODUCT_STATES = (
    "draft",
    "submitted",
    "under_review",
    "registered",
    "rejected",
    "listed",
    "suspended",
    "delisted",
    "retired",
)


class DataProduct(Base):
    __tablename__ = "data_products"
    __table_args__ = (
        CheckConstraint(_in("state", PRODUCT_STATES), name="state"),
        CheckConstraint(_in("classification", ("general", "important", "core")), name="class"),
        CheckConstraint(
            "NOT personal_information OR coalesce(btrim(legal_basis), '') <> ''",
            name="personal_information_legal_basis",
        ),
        CheckConstraint(
            "classification <> 'core' OR state NOT IN ('listed', 'suspended')",
            name="core_never_listed",
        ),
        Index("ix_data_products_owner", "owner_participant_id"),
        # The search (listings/repository.py): listed products by domain and by n-gram.
        Index("ix_data_products_listed_domain", "domain", postgresql_where=text(LISTED)),
        Index(
            "ix_data_products_listed_grams",
            "search_grams",
            postgresql_using="gin",
            postgresql_where=text(LISTED),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    owner_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text))
    domain: Mapped[str] = mapped_column(String(50))
    product_form: Mapped[str] = mapped_column(String(30))
    classification: Mapped[str] = mapped_column(String(20))
    personal_information: Mapped[bool] = mapped_column(Boolean)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(20))
    provenance_detail: Mapped[str] = mapped_column(Text)
    update_frequency: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(100))
    license: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    temporal_coverage_start: Mapped[date | None] = mapped_column(Date)
    temporal_coverage_end: Mapped[date | None] = mapped_column(Date)
    spatial_coverage: Mapped[str | None] = mapped_column(String(200))
    sample_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Kept by Postgres (catalog.search_grams, migration 0003); never loaded with the row.
    search_grams: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        Computed("catalog.search_grams(ARRAY[title, description] || keywords)", persisted=True),
        deferred=True,
    )


class RegistrationCertificate(Base):
    """登记证书: one per registered product."""

    __tablename__ = "registration_certificates"

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("data_products.id"), unique=True
    )
    owner_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ComplianceReview(Base):
    """合规评估: every review decision with its evidence, kept forever."""

    __tablename__ = "compliance_reviews"
    __table_args__ = (
        CheckConstraint(_in("decision", ("approved", "rejected")), name="decision"),
        CheckConstraint("cardinality(document_hashes) > 0", name="evidence"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("data_products.id"), index=True
    )
    reviewer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    decision: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[str]] = mapped_column(ARRAY(Text))
    document_hashes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VenueRow(Base):
    __tablename__ = "venues"
    __table_args__ = (CheckConstraint("fee_rate >= 0 AND fee_rate <= 1", name="fee_rate"),)

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    fee_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))


class VenueListingRow(Base):
    __tablename__ = "venue_listings"
    __table_args__ = (
        CheckConstraint("state IN ('listed', 'suspended', 'delisted')", name="state"),
        CheckConstraint(
            "price_kind IN ('fixed', 'subscription', 'metered', 'negotiable')", name="price_kind"
        ),
        CheckConstraint("headline_price IS NULL OR headline_price >= 0", name="headline_price"),
        UniqueConstraint("venue_code", "reference", name="uq_venue_listings_reference"),
        # One live listing per product and venue; a delisted one may be listed again.
        Index(
            "uq_venue_listings_live",
            "product_id",
            "venue_code",
            unique=True,
            postgresql_where=text("state <> 'delisted'"),
        ),
        # The search walks listed rows newest first, all venues or one (keyset pages), or
        # starts from a narrow price range.
        Index(
            "ix_venue_listings_listed_order",
            "listed_at",
            "id",
            postgresql_where=text("state = 'listed'"),
        ),
        Index(
            "ix_venue_listings_listed_venue",
            "venue_code",
            "listed_at",
            "id",
            postgresql_where=text("state = 'listed'"),
        ),
        Index(
            "ix_venue_listings_listed_price",
            "headline_price",
            postgresql_where=text("state = 'listed'"),
        ),
        # Text and recency together (btree_gin; migrations 0007, 0008): the newest matches.
        Index(
            "ix_venue_listings_recent_grams",
            "search_grams",
            text("catalog.recency_bucket(listed_at)"),
            postgresql_using="gin",
            postgresql_where=text("state = 'listed'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("data_products.id"), index=True
    )
    venue_code: Mapped[str] = mapped_column(String(20), ForeignKey("venues.code"))
    reference: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    price_kind: Mapped[str] = mapped_column(String(20))
    price_terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headline_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The product's n-grams, copied by triggers (migration 0007); never loaded with the row.
    search_grams: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'"), deferred=True
    )


LISTING_REFERENCE_SEQUENCE = Sequence("venue_listing_reference_seq", metadata=Base.metadata)
