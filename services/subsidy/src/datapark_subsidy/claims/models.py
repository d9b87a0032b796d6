"""The claim aggregate as stored."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_subsidy.tables import Base

MONEY = Numeric(16, 2)


class Claim(Base):
    """An entitlement (from a lease) or an application, through the lifecycle of subsidies.md."""

    __tablename__ = "claims"
    __table_args__ = (
        # A lease makes at most one claim per policy, period and basis, whatever is replayed.
        UniqueConstraint(
            "lease_id", "policy", "period", "basis", name="uq_claims_lease_policy_period"
        ),
        CheckConstraint("entitled > 0", name="entitled_positive"),
        CheckConstraint(
            "granted IS NULL OR (granted >= 0 AND granted <= entitled)",
            name="granted_within_entitled",
        ),
        CheckConstraint(
            "(lease_id IS NULL) <> (designation_id IS NULL)", name="lease_or_designation"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    policy: Mapped[str] = mapped_column(String(40))
    participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    lease_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    designation_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("designations.id")
    )
    """An application's designation on record (a lease's claim has none)."""
    period: Mapped[str] = mapped_column(String(120))
    basis: Mapped[str] = mapped_column(String(40), default="schedule")
    """What the amount rests on: ``schedule`` (the lease's payments as activated),
    ``usage:<YYYY-MM>`` (a service lease's usage invoice), ``application``."""
    earned_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30))
    entitled: Mapped[Decimal] = mapped_column(MONEY)
    granted: Mapped[Decimal | None] = mapped_column(MONEY)
    reason_code: Mapped[str | None] = mapped_column(String(60))
    policy_version: Mapped[str] = mapped_column(String(120))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """``{"steps": [...], "readings": [{parameter, value, effective_from, unit}], ...}``"""
    documents: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    """Applications: ``[{"name": ..., "sha256": ...}]``."""
    note: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    lapses_on: Mapped[date | None] = mapped_column(Date, index=True)
    """While funds are reserved: the day they lapse if not disbursed."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
