"""Negotiations and their offers as stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base

STATES = "'REQUESTED','OFFERED','ACCEPTED','AGREED','VERIFIED','FINALIZED','TERMINATED'"


class NegotiationRow(Base):
    __tablename__ = "negotiations"
    __table_args__ = (
        CheckConstraint(f"state IN ({STATES})", name="state_known"),
        CheckConstraint(
            "(state = 'TERMINATED') = (termination_reason IS NOT NULL)",
            name="terminated_has_reason",
        ),
        CheckConstraint(
            "expires_at > updated_at OR state IN ('FINALIZED','TERMINATED')",
            name="open_has_deadline",
        ),
        # keyset pages of a party's negotiations (and lookups by party)
        Index("ix_negotiations_provider_keyset", "provider_id", "id"),
        Index("ix_negotiations_consumer_keyset", "consumer_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    consumer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(String(20))
    requires_approval: Mapped[bool] = mapped_column(Boolean)
    approved_round: Mapped[int | None] = mapped_column(Integer)
    approver: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_window_seconds: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)
    amends: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    termination_reason: Mapped[str | None] = mapped_column(Text)
    terminated_by: Mapped[str | None] = mapped_column(String(20))
    terminated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfferRow(Base):
    """Every round of terms either side put on the table, in order."""

    __tablename__ = "negotiation_offers"
    __table_args__ = (
        CheckConstraint("round >= 1", name="round_positive"),
        CheckConstraint("offered_by IN ('consumer','provider')", name="party_known"),
    )

    negotiation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("negotiations.id"), primary_key=True
    )
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    offered_by: Mapped[str] = mapped_column(String(20))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
