"""rental's local view of catalog's fleet: units, kits, offerings and maintenance windows.

Rows are upserted from the snapshots on ``catalog.listings.v1``; ``aggseq`` keeps a row from
moving backwards when an older event is redelivered or replayed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, UUID, Range
from sqlalchemy.orm import Mapped, mapped_column

from datapark_rental.tables import Base

MONEY = Numeric(16, 2)


class FleetUnit(Base):
    """A physical unit, with the appraisal that risk review reads."""

    __tablename__ = "fleet_units"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    category: Mapped[str] = mapped_column(String(40))
    maker: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str] = mapped_column(String(200))
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    appraised_value: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20))
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FleetKit(Base):
    """A robot container: units rented together."""

    __tablename__ = "fleet_kits"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(200))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Offering(Base):
    """What a lessor offers for one unit or one kit, with its price and reservation terms."""

    __tablename__ = "offerings"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(300))
    target_kind: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    category: Mapped[str] = mapped_column(String(40))
    modes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    rate_card: Mapped[dict[str, str]] = mapped_column(JSONB)
    """Unit → price as a decimal string (``{"day": "200.00"}``)."""
    deposit: Mapped[Decimal] = mapped_column(MONEY)
    min_duration_minutes: Mapped[int] = mapped_column(Integer)
    max_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    turnaround_before_minutes: Mapped[int] = mapped_column(Integer)
    turnaround_after_minutes: Mapped[int] = mapped_column(Integer)
    service_terms: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cancellation_policy: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    late_fee_per_hour: Mapped[Decimal | None] = mapped_column(MONEY)
    available_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    available_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    location: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20))
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MaintenanceWindow(Base):
    """A maintenance window as catalog announced it; ``reserved`` when it holds its unit in
    ``unit_reservations`` (it cannot when a booking already held the period)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reason: Mapped[str] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    aggseq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
