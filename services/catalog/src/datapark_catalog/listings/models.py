"""Venues (data) and venue listings as stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    Sequence,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_catalog.tables import Base


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


LISTING_REFERENCE_SEQUENCE = Sequence("venue_listing_reference_seq", metadata=Base.metadata)
