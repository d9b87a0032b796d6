"""Orders as stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base


class Order(Base):
    """A purchase at a listing's own terms; it concludes an agreement at once."""

    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    consumer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    placed_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    pricing_kind: Mapped[str] = mapped_column(String(20))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    agreement_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
