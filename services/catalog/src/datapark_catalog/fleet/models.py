"""The robot fleet as stored: models, units, kits, maintenance windows, rental offerings.

Two invariants are exclusion constraints in the migration (btree_gist): a unit's scheduled
maintenance windows never overlap, and a unit is never in two kits' published offerings whose
validity periods overlap (``offering_units``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_catalog.tables import Base


class RobotModelRow(Base):
    __tablename__ = "robot_models"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    maker: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30))
    specs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    registered_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RobotUnitRow(Base):
    __tablename__ = "robot_units"
    __table_args__ = (
        CheckConstraint("acquisition_cost > 0", name="cost"),
        CheckConstraint("salvage_value >= 0 AND salvage_value <= acquisition_cost", name="salvage"),
        CheckConstraint("useful_life_months > 0", name="life"),
        CheckConstraint(
            "status IN ('available', 'in_maintenance', 'out_of_service', 'retired')",
            name="status",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("robot_models.id"), index=True
    )
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    acquisition_cost: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    acquired_on: Mapped[date] = mapped_column(Date)
    salvage_value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    useful_life_months: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RobotKitRow(Base):
    __tablename__ = "robot_kits"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MaintenanceWindowRow(Base):
    __tablename__ = "maintenance_windows"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        CheckConstraint("status IN ('scheduled', 'cancelled')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("robot_units.id"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


PUBLISHED = "state = 'published'"


class RentalOfferingRow(Base):
    __tablename__ = "rental_offerings"
    __table_args__ = (
        CheckConstraint("target_kind IN ('unit', 'kit')", name="target_kind"),
        CheckConstraint(
            "(target_kind = 'unit') = (unit_id IS NOT NULL AND kit_id IS NULL)", name="target"
        ),
        CheckConstraint("state IN ('published', 'withdrawn')", name="state"),
        CheckConstraint("deposit >= 0", name="deposit"),
        CheckConstraint("rate_card <> '{}'::jsonb", name="rate_card_not_empty"),
        CheckConstraint(
            "min_duration_seconds > 0 AND min_duration_seconds % 60 = 0", name="min_duration"
        ),
        CheckConstraint(
            "max_duration_seconds IS NULL OR (max_duration_seconds >= min_duration_seconds"
            " AND max_duration_seconds % 60 = 0)",
            name="max_duration",
        ),
        CheckConstraint(
            "turnaround_before_seconds % 60 = 0 AND turnaround_after_seconds % 60 = 0",
            name="turnaround_whole_minutes",
        ),
        CheckConstraint(
            "available_until IS NULL OR available_until > available_from", name="validity"
        ),
        # The search (listings/repository.py): published offerings newest first, by category,
        # by price and by n-gram.
        Index(
            "ix_rental_offerings_published_order",
            "published_at",
            "id",
            postgresql_where=text(PUBLISHED),
        ),
        Index(
            "ix_rental_offerings_published_category",
            "category",
            "published_at",
            "id",
            postgresql_where=text(PUBLISHED),
        ),
        Index(
            "ix_rental_offerings_published_price",
            "headline_price",
            postgresql_where=text(PUBLISHED),
        ),
        # Text and recency together (btree_gin, migration 0008): the newest matches.
        Index(
            "ix_rental_offerings_recent_grams",
            "search_grams",
            text("catalog.recency_bucket(published_at)"),
            postgresql_using="gin",
            postgresql_where=text(PUBLISHED),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    title: Mapped[str] = mapped_column(String(200))
    target_kind: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    category: Mapped[str] = mapped_column(String(30))
    modes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    rate_card: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headline_price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    deposit: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    # Durations in whole seconds, each a whole number of minutes (the events carry minutes).
    min_duration_seconds: Mapped[int] = mapped_column(Integer)
    max_duration_seconds: Mapped[int | None] = mapped_column(Integer)
    turnaround_before_seconds: Mapped[int] = mapped_column(Integer)
    turnaround_after_seconds: Mapped[int] = mapped_column(Integer)
    service_terms: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cancellation_policy: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    late_fee_per_hour: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    available_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    available_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Kept by Postgres (catalog.search_grams, migration 0003); never loaded with the row.
    search_grams: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        Computed("catalog.search_grams(ARRAY[title, location, category])", persisted=True),
        deferred=True,
    )


class OfferingUnitRow(Base):
    """Which units a published offering holds, for the kit-overlap exclusion constraint."""

    __tablename__ = "offering_units"

    offering_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("rental_offerings.id"), primary_key=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    validity: Mapped[Any] = mapped_column(TSTZRANGE)
    active: Mapped[bool] = mapped_column(default=True)
