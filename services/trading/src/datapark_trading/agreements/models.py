"""Agreements as stored: the terms never change; termination and supersession are recorded."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base


class AgreementRow(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="runs_forward"),
        CheckConstraint("origin IN ('order','negotiation')", name="origin_known"),
        CheckConstraint("provider_id <> consumer_id", name="two_parties"),
        CheckConstraint(
            "(terminated_at IS NULL) = (termination_reason IS NULL)", name="termination_has_reason"
        ),
        # keyset pages of a party's agreements (and lookups by party)
        Index("ix_agreements_provider_keyset", "provider_id", "id"),
        Index("ix_agreements_consumer_keyset", "consumer_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    provider_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    consumer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    origin: Mapped[str] = mapped_column(String(20))
    origin_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    concluded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    amends: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agreements.id"), unique=True)
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    terminated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    terminated_by: Mapped[str | None] = mapped_column(String(20))
    termination_reason: Mapped[str | None] = mapped_column(Text)
