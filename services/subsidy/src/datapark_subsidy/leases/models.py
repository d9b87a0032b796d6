"""The lease projection, built from rental.orders.v1: just what the subsidy rules read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Identity, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_subsidy.tables import Base


class LeaseRecord(Base):
    """A lease as subsidy knows it; ``assessed`` once its claims were created."""

    __tablename__ = "leases"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    recorded: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    """Arrival order: the replay order of simulations."""
    participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    mode: Mapped[str] = mapped_column(String(40))
    equipment_category: Mapped[str] = mapped_column(String(60))
    cost: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    down_payment: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    activated_on: Mapped[date] = mapped_column(Date)
    payments: Mapped[list[list[str]]] = mapped_column(JSONB)
    """``[["2025-04-01", "27379.74"], ...]``: due date and amount of each scheduled payment."""
    terminated_on: Mapped[date | None] = mapped_column(Date)
    assessed: Mapped[bool] = mapped_column(Boolean, default=False)
    ineligible: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
