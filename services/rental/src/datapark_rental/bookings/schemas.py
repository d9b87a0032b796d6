"""Request and response bodies of availability, quotes and bookings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict, JsonValue

from datapark_kit.schemas import BoundedInstant, RequestModel
from datapark_rental.bookings.pricing import HOUR, Quote, RateUnit
from datapark_rental.bookings.states import BookingState
from datapark_rental.terms.schemas import AmountOut, Money

OFFERING = "0193a4b2-5c6d-7e8f-9a0b-1c2d3e4f5a6b"
BOOKING = "0193a4b2-7d10-7c21-8e4f-6a5b4c3d2e1f"
CUSTOMER = "0193a4b1-1f2e-7d3c-9b4a-5e6f7a8b9c0d"
LESSOR = "0193a4b1-2a3b-7c4d-8e5f-6a7b8c9d0e1f"
KIT = "0193a4b2-4a5b-7c6d-8e7f-9a0b1c2d3e4f"
UNITS: list[JsonValue] = [
    "0193a4b2-3e4f-7a5b-9c6d-7e8f9a0b1c2d",
    "0193a4b2-3e50-7b6c-8d7e-8f9a0b1c2d3e",
]


BookingMode = Literal["short_term", "long_term", "robot_container"]


def _cny(amount: str) -> JsonDict:
    return {"amount": amount, "currency": "CNY"}


_LINES: list[JsonValue] = [
    {"unit": "day", "quantity": 2, "unit_price": _cny("1200.00"), "amount": _cny("2400.00")},
    {"unit": "hour", "quantity": 3, "unit_price": _cny("80.00"), "amount": _cny("240.00")},
]


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid")


class PeriodRequest(_In):
    """An offering and a half-open period ``[start, end)`` (RFC 3339 with offset)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "offering_id": OFFERING,
                    "start": "2026-12-01T09:00:00+08:00",
                    "end": "2026-12-03T12:00:00+08:00",
                }
            ]
        }
    )

    offering_id: uuid.UUID
    start: BoundedInstant
    end: BoundedInstant


class ExtendRequest(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"end": "2026-12-04T12:00:00+08:00"}]}
    )

    end: BoundedInstant = Field(description="the new, later end")


class InspectRequest(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"damage_charges": _cny("350.00")}]})

    damage_charges: Money = Field(
        default=Money(amount=Decimal("0")), description="what the damage found costs"
    )


class PeriodOut(BaseModel):
    start: datetime
    end: datetime


class AvailabilityOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "offering_id": OFFERING,
                    "start": "2026-12-01T00:00:00+08:00",
                    "end": "2026-12-08T00:00:00+08:00",
                    "free": [
                        {"start": "2026-12-01T00:00:00+08:00", "end": "2026-12-02T08:00:00+08:00"},
                        {"start": "2026-12-04T14:00:00+08:00", "end": "2026-12-08T00:00:00+08:00"},
                    ],
                }
            ]
        }
    )

    offering_id: uuid.UUID
    start: datetime
    end: datetime
    free: list[PeriodOut] = Field(description="where a booking can start and end, padding kept")


class QuoteLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LINES[0]]})

    unit: RateUnit
    quantity: int
    unit_price: AmountOut
    amount: AmountOut


class QuoteOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "offering_id": OFFERING,
                    "start": "2026-12-01T01:00:00Z",
                    "end": "2026-12-03T04:00:00Z",
                    "billable_seconds": 183600,
                    "lines": _LINES,
                    "rental": _cny("2640.00"),
                    "deposit": _cny("5000.00"),
                    "total": _cny("7640.00"),
                    "reserved_from": "2026-12-01T00:00:00Z",
                    "reserved_until": "2026-12-03T05:00:00Z",
                }
            ]
        }
    )

    offering_id: uuid.UUID
    start: datetime
    end: datetime
    billable_seconds: int = Field(
        description="the time charged: every started hour in full, in seconds", ge=0
    )
    lines: list[QuoteLineOut]
    rental: AmountOut
    deposit: AmountOut
    total: AmountOut
    reserved_from: datetime
    reserved_until: datetime

    @classmethod
    def of(cls, offering_id: uuid.UUID, priced: Quote) -> QuoteOut:
        """A priced stay on an offering: its lines, rental, deposit and the reserved span."""
        return cls(
            offering_id=offering_id,
            start=priced.start,
            end=priced.end,
            billable_seconds=priced.billable_hours * int(HOUR.total_seconds()),
            lines=[
                QuoteLineOut(
                    unit=ln.unit,
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
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": BOOKING,
                    "offering_id": OFFERING,
                    "customer_participant_id": CUSTOMER,
                    "lessor_participant_id": LESSOR,
                    "mode": "short_term",
                    "kit_id": KIT,
                    "unit_ids": UNITS,
                    "start": "2026-12-01T01:00:00Z",
                    "end": "2026-12-03T04:00:00Z",
                    "reserved_from": "2026-12-01T00:00:00Z",
                    "reserved_until": "2026-12-03T05:00:00Z",
                    "status": "closed",
                    "overdue": False,
                    "expires_at": "2026-11-30T15:15:00Z",
                    "price_lines": _LINES,
                    "rental_price": _cny("2640.00"),
                    "deposit": _cny("5000.00"),
                    "late_fee": _cny("0.00"),
                    "damage_charges": _cny("350.00"),
                    "cancellation_fee": _cny("0.00"),
                    "deposit_refund": _cny("4650.00"),
                    "balance_due": _cny("0.00"),
                    "checked_out_at": "2026-12-01T01:04:12Z",
                    "returned_at": "2026-12-03T03:51:40Z",
                    "created_at": "2026-11-30T15:00:00Z",
                    "updated_at": "2026-12-03T06:20:05Z",
                }
            ]
        },
    )

    id: uuid.UUID
    offering_id: uuid.UUID
    customer_participant_id: uuid.UUID
    lessor_participant_id: uuid.UUID
    mode: BookingMode
    kit_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    start: datetime
    end: datetime
    reserved_from: datetime
    reserved_until: datetime
    status: BookingState
    overdue: bool
    expires_at: datetime
    price_lines: list[QuoteLineOut]
    rental_price: AmountOut
    deposit: AmountOut
    late_fee: AmountOut
    damage_charges: AmountOut
    cancellation_fee: AmountOut
    deposit_refund: AmountOut
    balance_due: AmountOut
    checked_out_at: datetime | None
    returned_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, booking: object) -> BookingOut:
        """The body of a booking row: validated from the attributes the row has loaded (its
        ``__dict__``, a plain mapping) rather than through the ORM's attribute descriptors one
        field at a time (about 40 % less for a page of 50, ``bench/booking_page_build.py``);
        a row with an attribute not loaded is read through the descriptors as before."""
        loaded = vars(booking)
        if loaded.keys() >= _BOOKING_FIELDS:
            return cls.model_validate(loaded)
        return cls.model_validate(booking)


_BOOKING_FIELDS = frozenset(BookingOut.model_fields)


class BookingPage(BaseModel):
    """A page of bookings, newest first; ``next_cursor`` fetches the next (null: the last)."""

    items: list[BookingOut]
    next_cursor: str | None
