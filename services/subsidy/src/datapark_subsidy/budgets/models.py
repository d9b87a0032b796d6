"""Budget rows and their ledger entries (two-phase, TigerBeetle style)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_subsidy.tables import Base

MONEY = Numeric(16, 2)


class BudgetRow(Base):
    """One budget per (policy, company, period), or per (policy, designation) shared by every
    applicant under the designation (``participant_id`` NULL); the CHECK is the last line of
    defence."""

    __tablename__ = "budgets"
    __table_args__ = (
        Index(
            "uq_budgets_policy_company",
            "policy",
            "participant_id",
            "period",
            unique=True,
            postgresql_where=text("participant_id IS NOT NULL"),
        ),
        Index(
            "uq_budgets_policy_shared",
            "policy",
            "period",
            unique=True,
            postgresql_where=text("participant_id IS NULL"),
        ),
        CheckConstraint("reserved >= 0 AND committed >= 0", name="non_negative"),
        CheckConstraint("reserved + committed <= cap", name="within_cap"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    policy: Mapped[str] = mapped_column(String(40))
    participant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The company of a yearly budget; NULL for a designation's budget, shared by applicants."""
    period: Mapped[str] = mapped_column(String(120))
    cap: Mapped[Decimal] = mapped_column(MONEY)
    reserved: Mapped[Decimal] = mapped_column(MONEY)
    committed: Mapped[Decimal] = mapped_column(MONEY)
    cap_parameter: Mapped[str] = mapped_column(String(120))
    cap_effective_from: Mapped[str] = mapped_column(String(10))
    policy_version: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BudgetEntry(Base):
    """One ledger entry: reserve, post, void or reverse; its key makes it happen once."""

    __tablename__ = "budget_entries"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_budget_entries_idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("op IN ('reserve', 'post', 'void', 'reverse')", name="known_op"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    budget_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("budgets.id"), index=True
    )
    claim_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    op: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
