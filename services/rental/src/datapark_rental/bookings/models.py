"""Bookings and the reservation rows that make double booking impossible.

``unit_reservations`` holds one row per unit a booking (or a maintenance window) occupies,
over the *padded* half-open period. The exclusion constraint ``no_double_booking`` refuses two
rows of one unit whose periods overlap while both are in an active status; Postgres checks it
under concurrency (a second writer waits for the first to commit, then fails), so no
interleaving of requests can double-book. A kit's rows are inserted in one transaction:
every unit is held or none is.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, UUID, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column

from datapark_rental.tables import Base

MONEY = Numeric(16, 2)
BLOCKING_STATUSES = ("held", "confirmed", "checked_out", "returned", "maintenance")
"""Reservation statuses that occupy a unit: a booking's active states, its turnaround after an
early return (the row is cut to ``returned_at + turnaround_after``), and maintenance."""


class Booking(Base):
    """A customer's reservation of one offering (a unit or a whole kit)."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint('"end" > start', name="period_not_empty"),
        CheckConstraint('reserved_until >= "end" AND reserved_from <= start', name="padded"),
        Index(None, "status", "expires_at"),
        # a party's own bookings newest first: two keyset walks (as customer, as lessor)
        Index("ix_rental_bookings_customer_order", "customer_participant_id", "id"),
        Index("ix_rental_bookings_lessor_order", "lessor_participant_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    offering_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    customer_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    kit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reserved_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reserved_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    rental_price: Mapped[Decimal] = mapped_column(MONEY)
    deposit: Mapped[Decimal] = mapped_column(MONEY)
    late_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    damage_charges: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    cancellation_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    deposit_refund: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    balance_due: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnitReservation(Base):
    """One unit occupied over a padded half-open period, by a booking or a maintenance window."""

    __tablename__ = "unit_reservations"
    __table_args__ = (
        ExcludeConstraint(
            ("unit_id", "="),
            ("period", "&&"),
            name="no_double_booking",
            using="gist",
            where=text("status IN ('held', 'confirmed', 'checked_out', 'returned', 'maintenance')"),
        ),
        CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)", name="half_open"
        ),
        CheckConstraint("(booking_id IS NULL) <> (window_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    status: Mapped[str] = mapped_column(String(20))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("bookings.id"), index=True
    )
    window_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
