"""HTTP endpoints of availability, quotes and bookings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.schemas import BoundedInstant
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_rental.bookings.schemas import (
    AvailabilityOut,
    BookingOut,
    BookingPage,
    ExtendRequest,
    InspectRequest,
    PeriodOut,
    PeriodRequest,
    QuoteOut,
)
from datapark_rental.bookings.service import BookingService
from datapark_rental.bookings.states import BookingAction, BookingState
from datapark_rental.problems import BOOKINGS
from datapark_rental.settings import RentalSettings

router = APIRouter(
    prefix="/v1", tags=["bookings"], route_class=UnitOfWorkRoute, responses=problems(*BOOKINGS)
)
BOOKERS = require_roles("customer", "participant", "partner", "operator")


async def _service(request: Request, session: SessionDep) -> BookingService:
    settings: RentalSettings = request.app.state.settings
    return BookingService(session, timedelta(seconds=settings.hold_ttl_seconds))


Bookings = Annotated[BookingService, Depends(_service)]


@router.get("/availability", response_model=AvailabilityOut)
async def availability(
    bookings: Bookings,
    principal: CurrentPrincipal,
    offering_id: uuid.UUID,
    start: Annotated[BoundedInstant, Query(description="RFC 3339 with offset")],
    end: Annotated[BoundedInstant, Query(description="RFC 3339 with offset")],
) -> AvailabilityOut:
    """Free periods of an offering within ``[start, end)``: where a booking can start and end
    with the turnaround padding around it kept free on every unit."""
    free = await bookings.availability(offering_id, start, end, datetime.now(UTC))
    return AvailabilityOut(
        offering_id=offering_id,
        start=start,
        end=end,
        free=[PeriodOut(start=a, end=b) for a, b in free],
    )


@router.post("/quotes", response_model=QuoteOut)
async def create_quote(
    body: PeriodRequest, bookings: Bookings, principal: CurrentPrincipal
) -> QuoteOut:
    """The best price for ``[start, end)`` over the offering's hour, day, week and month rates,
    itemised, with the deposit and the padded period it would reserve. Nothing is held."""
    priced = await bookings.quote(body.offering_id, body.start, body.end, datetime.now(UTC))
    return QuoteOut.of(body.offering_id, priced)


@router.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingOut,
    dependencies=[BOOKERS],
)
async def create_booking(
    body: PeriodRequest, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """Hold the offering's unit (or every unit of its kit) for ``[start, end)`` plus padding
    until the hold expires. 409 names the period that is taken; nothing is held then."""
    booking = await bookings.hold(principal, body.offering_id, body.start, body.end)
    return BookingOut.of(booking)


@router.get("/bookings", response_model=BookingPage)
async def list_bookings(
    bookings: Bookings,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    status: BookingState | None = None,
    offering_id: uuid.UUID | None = None,
    participant_id: Annotated[
        uuid.UUID | None, Query(description="bookings where it is the customer or the lessor")
    ] = None,
) -> BookingPage:
    """Bookings the caller is the customer or the lessor of (operators and auditors see all),
    newest first. Another tenant's ``participant_id`` yields an empty page."""
    items, next_cursor = await bookings.page(
        principal,
        cursor,
        limit,
        participant_id=participant_id,
        status=status,
        offering_id=offering_id,
    )
    return BookingPage(items=[BookingOut.of(b) for b in items], next_cursor=next_cursor)


@router.get("/bookings/{booking_id}", response_model=BookingOut)
async def get_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """One booking (its customer, its lessor, operators and auditors)."""
    return BookingOut.of(await bookings.get(principal, booking_id))


async def _act(
    bookings: BookingService,
    principal: CurrentPrincipal,
    booking_id: uuid.UUID,
    action: BookingAction,
) -> BookingOut:
    return BookingOut.of(await bookings.act(principal, booking_id, action))


@router.post("/bookings/{booking_id}/confirm", response_model=BookingOut)
async def confirm_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """The customer confirms the hold before it expires."""
    return await _act(bookings, principal, booking_id, BookingAction.CONFIRM)


@router.post("/bookings/{booking_id}/check-out", response_model=BookingOut)
async def check_out_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """The lessor hands the units over (from the start of the reserved period)."""
    return await _act(bookings, principal, booking_id, BookingAction.CHECK_OUT)


@router.post("/bookings/{booking_id}/return", response_model=BookingOut)
async def return_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """The lessor takes the units back; a late return is charged its late fee."""
    return await _act(bookings, principal, booking_id, BookingAction.RETURN_UNIT)


@router.post("/bookings/{booking_id}/inspect", response_model=BookingOut)
async def inspect_booking(
    booking_id: uuid.UUID, body: InspectRequest, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """The lessor records damage; the deposit is settled against damage and late fees."""
    booking = await bookings.act(
        principal,
        booking_id,
        BookingAction.INSPECT,
        damage_charges=body.damage_charges.amount,
        currency=body.damage_charges.currency,
    )
    return BookingOut.of(booking)


@router.post("/bookings/{booking_id}/close", response_model=BookingOut)
async def close_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """Nothing is left to do."""
    return await _act(bookings, principal, booking_id, BookingAction.CLOSE)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
async def cancel_booking(
    booking_id: uuid.UUID, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """Cancel before check-out; the offering's fee rule sets ``cancellation_fee``."""
    return await _act(bookings, principal, booking_id, BookingAction.CANCEL)


@router.post("/bookings/{booking_id}/extend", response_model=BookingOut)
async def extend_booking(
    booking_id: uuid.UUID, body: ExtendRequest, bookings: Bookings, principal: CurrentPrincipal
) -> BookingOut:
    """Move the end later when every unit is free until the new padded end (else 409)."""
    return BookingOut.of(await bookings.extend(principal, booking_id, body.end))
