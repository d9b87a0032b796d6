"""The listing projection, one row per venue listing, built from ``catalog.listings.v1``."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base


class Listing(Base):
    """A product's listing on one venue, as catalog last described it."""

    __tablename__ = "listings"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(300))
    venue_code: Mapped[str] = mapped_column(String(50))
    venue_fee_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    product_state: Mapped[str] = mapped_column(String(20))
    listing_state: Mapped[str] = mapped_column(String(20))
    price_terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def tradable(self) -> bool:
        """Catalog's rule: the product and this venue listing are both ``listed``."""
        return self.product_state == "listed" and self.listing_state == "listed"
