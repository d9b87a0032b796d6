"""Request and response bodies of availability, quotes and bookings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import BoundedInstant, RequestModel
from datapark_rental.bookings.pricing import Quote
from datapark_rental.terms.schemas import Money


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid")


class PeriodRequest(_In):
    """An offering and a half-open period ``[start, end)`` (RFC 3339 with offset)."""

    offering_id: uuid.UUID
    start: BoundedInstant
    end: BoundedInstant


class ExtendRequest(_In):
    end: BoundedInstant = Field(description="the new, later end")


class InspectRequest(_In):
    damage_charges: Decimal = Field(default=Decimal("0"), ge=0, description="CNY")
    currency: str = "CNY"


class PeriodOut(BaseModel):
    start: datetime
    end: datetime


class AvailabilityOut(BaseModel):
    offering_id: uuid.UUID
    start: datetime
    end: datetime
    free: list[PeriodOut] = Field(description="where a booking can start and end, padding kept")


class QuoteLineOut(BaseModel):
    unit: str
    quantity: int
    unit_price: Money
    amount: Money


class QuoteOut(BaseModel):
    offering_id: uuid.UUID
    start: datetime
    end: datetime
    billable_hours: int
    lines: list[QuoteLineOut]
    rental: Money
    deposit: Money
    total: Money
    currency: str = "CNY"
    reserved_from: datetime
    reserved_until: datetime

    @classmethod
    def of(cls, offering_id: uuid.UUID, priced: Quote) -> QuoteOut:
        """A priced stay on an offering: its lines, rental, deposit and the reserved span."""
        return cls(
            offering_id=offering_id,
            start=priced.start,
            end=priced.end,
            billable_hours=priced.billable_hours,
            lines=[
                QuoteLineOut(
                    unit=ln.unit.value,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                    amount=ln.amount,
                )
                for ln in priced.lines
            ],
            rental=priced.rental,
            deposit=priced.deposit,
            total=priced.total,
            reserved_from=priced.reserved_from,
            reserved_until=priced.reserved_until,
        )


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    offering_id: uuid.UUID
    customer_participant_id: uuid.UUID
    lessor_participant_id: uuid.UUID
    mode: str
    kit_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    start: datetime
    end: datetime
    reserved_from: datetime
    reserved_until: datetime
    status: str
    overdue: bool
    expires_at: datetime
    price_lines: list[QuoteLineOut]
    rental_price: Money
    deposit: Money
    late_fee: Money
    damage_charges: Money
    cancellation_fee: Money
    deposit_refund: Money
    balance_due: Money
    currency: str = "CNY"
    checked_out_at: datetime | None
    returned_at: datetime | None
    created_at: datetime
    updated_at: datetime


class BookingPage(BaseModel):
    items: list[BookingOut]
    next_cursor: str | None
