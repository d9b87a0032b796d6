"""The lease projection, built from rental.orders.v1: just what the subsidy rules read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    String,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_subsidy.tables import Base

MONEY = Numeric(16, 2)


class LeaseRecord(Base):
    """A lease as subsidy knows it; ``assessed`` once the lessee was known and the lease's
    verdicts were recorded (its claims then follow its receivables as they are paid)."""

    __tablename__ = "leases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    recorded: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    """Arrival order: the replay order of simulations."""
    participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    mode: Mapped[str] = mapped_column(String(40))
    equipment_category: Mapped[str] = mapped_column(String(60))
    cost: Mapped[Decimal] = mapped_column(MONEY)
    down_payment: Mapped[Decimal] = mapped_column(MONEY)
    activated_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    """The day the lease ended, however it ended (the first end rental reported)."""
    end_reason: Mapped[str | None] = mapped_column(String(30))
    """``terminated``, ``bought_out``, ``repossessed``, ``written_off``, ``returned``,
    ``closed``, ``paid_off`` or ``title_transferred``."""
    assessed: Mapped[bool] = mapped_column(Boolean, default=False)
    ineligible: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeaseReceivableRecord(Base):
    """One contractual payment of a lease (an instalment, the balloon, a usage invoice or a
    rental's price) as scheduled, and when rental said it fell due and was paid."""

    __tablename__ = "lease_receivables"

    lease_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leases.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    fees: Mapped[Decimal] = mapped_column(MONEY)
    opening_balance: Mapped[Decimal] = mapped_column(MONEY)
    fell_due_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)
