"""Transfers, access grants, meters and the usage log as stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base


class TransferRow(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(
            "state IN ('REQUESTED','STARTED','SUSPENDED','COMPLETED','TERMINATED')",
            name="state_known",
        ),
        CheckConstraint("confirm_after_seconds > 0", name="confirm_after_positive"),
        CheckConstraint(
            "(state = 'REQUESTED') = (started_at IS NULL) OR state = 'TERMINATED'",
            name="started_iff_time",
        ),
        CheckConstraint(
            "grant_expires_at IS NULL OR grant_expires_at > grant_issued_at",
            name="grant_expires_after_issue",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirm_after_seconds: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    endpoint: Mapped[str | None] = mapped_column(Text)
    grant_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grant_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grant_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[str | None] = mapped_column(String(20))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    termination_reason: Mapped[str | None] = mapped_column(Text)
    terminated_by: Mapped[str | None] = mapped_column(String(20))
    terminated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UsageMeterRow(Base):
    """Use counted under one agreement; the limits are copied here so the table refuses excess."""

    __tablename__ = "usage_meters"
    __table_args__ = (
        CheckConstraint("max_calls IS NULL OR calls <= max_calls", name="calls_within_limit"),
        CheckConstraint(
            "max_records IS NULL OR records <= max_records", name="records_within_limit"
        ),
        CheckConstraint("calls >= 0 AND records >= 0 AND megabytes >= 0", name="counts_positive"),
    )

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    megabytes: Mapped[int] = mapped_column(Integer, default=0)
    max_calls: Mapped[int | None] = mapped_column(Integer)
    max_records: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    month_units: Mapped[int] = mapped_column(Integer, default=0)
    charged: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0.00"))


class UsageRecordRow(Base):
    __tablename__ = "usage_records"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"))
    calls: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)
    megabytes: Mapped[int] = mapped_column(Integer)
    use: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(20))
    charge: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ledger_transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id")
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
