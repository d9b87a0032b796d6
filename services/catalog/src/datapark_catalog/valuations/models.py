"""Valuations and balance-sheet records as stored."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_catalog.tables import Base


class ValuationRow(Base):
    __tablename__ = "valuations"
    __table_args__ = (
        CheckConstraint("method IN ('cost', 'income', 'market')", name="method"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("data_products.id"), index=True
    )
    method: Mapped[str] = mapped_column(String(20))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    base_date: Mapped[date] = mapped_column(Date)
    appraiser_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    appraiser_name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BalanceSheetRow(Base):
    """入表: how the owner books the product (one current record per product).

    Cost lines are kept as given (kind, description, amount, incurred_on, and phase for a
    self-developed resource); whether each is capitalised follows from the record's rules.
    """

    __tablename__ = "balance_sheet_records"
    __table_args__ = (
        CheckConstraint(
            "classification IN ('intangible_asset', 'inventory')", name="classification"
        ),
        CheckConstraint(
            "classification = 'intangible_asset' OR useful_life_months IS NULL",
            name="inventory_not_amortised",
        ),
        CheckConstraint(
            "(classification = 'intangible_asset' AND acquisition_mode IN "
            "('purchased', 'self_developed')) OR (classification = 'inventory' AND "
            "acquisition_mode IN ('purchased', 'processed'))",
            name="acquisition_mode",
        ),
        CheckConstraint(
            "CASE WHEN classification = 'inventory' THEN ready_for_use_on IS NULL "
            "WHEN acquisition_mode = 'purchased' THEN ready_for_use_on IS NOT NULL "
            "ELSE true END",
            name="ready_for_use",
        ),
        CheckConstraint(
            "ready_for_use_on IS NULL OR ready_for_use_on >= recognised_on",
            name="ready_after_recognition",
        ),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("data_products.id"), primary_key=True
    )
    classification: Mapped[str] = mapped_column(String(20))
    cost_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    acquisition_mode: Mapped[str] = mapped_column(String(20), server_default="purchased")
    recognised_on: Mapped[date] = mapped_column(Date)
    ready_for_use_on: Mapped[date | None] = mapped_column(Date)
    useful_life_months: Mapped[int | None] = mapped_column(Integer)
    net_realisable_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
