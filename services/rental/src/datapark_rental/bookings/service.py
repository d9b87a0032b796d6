"""Use cases of bookings: availability, quotes, holds and every step after; each step
publishes its fact with the whole booking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, InvalidState, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_rental.bookings import states
from datapark_rental.bookings.availability import free_periods
from datapark_rental.bookings.models import Booking
from datapark_rental.bookings.offering_terms import booking_mode, pricing_terms
from datapark_rental.bookings.pricing import (
    PricingTerms,
    Quote,
    QuoteLine,
    extension_price,
    quote,
    validate_period,
)
from datapark_rental.bookings.repository import BookingRepository, ReservationClash, half_open
from datapark_rental.bookings.states import BookingAction, BookingState
from datapark_rental.fleet.models import FleetUnit, Offering
from datapark_rental.fleet.repository import FleetRepository
from datapark_rental.problems import RentalProblem
from datapark_rental.tables import OUTBOX
from datapark_rental.terms.money import CURRENCY, ZERO, require_currency, require_money

BOOKABLE_UNIT_STATUSES = ("available", "in_maintenance")
"""A unit in maintenance *now* can be booked for later; its windows block their periods."""
MAX_AVAILABILITY_RANGE = timedelta(days=366)

FACT_EVENTS: dict[str, type[events.BookingSnapshot]] = {
    "held": events.BookingHeld,
    "confirmed": events.BookingConfirmed,
    "checked_out": events.BookingCheckedOut,
    "returned": events.BookingReturned,
    "inspected": events.BookingInspected,
    "closed": events.BookingClosed,
    "expired": events.BookingExpired,
    "cancelled": events.BookingCancelled,
    "overdue_flagged": events.BookingOverdueFlagged,
}
CUSTOMER_ACTIONS = frozenset({BookingAction.CONFIRM, BookingAction.CANCEL})
LESSOR_ACTIONS = frozenset(
    {BookingAction.CHECK_OUT, BookingAction.RETURN_UNIT, BookingAction.INSPECT, BookingAction.CLOSE}
)


def snapshot(
    booking: Booking, event: type[events.BookingSnapshot], **extra: object
) -> events.BookingSnapshot:
    return event(
        booking_id=booking.id,
        offering_id=booking.offering_id,
        customer_participant_id=booking.customer_participant_id,
        lessor_participant_id=booking.lessor_participant_id,
        mode=booking.mode,
        equipment_category=booking.category,
        kit_id=booking.kit_id,
        unit_ids=tuple(booking.unit_ids),
        start=booking.start,
        end=booking.end,
        reserved_from=booking.reserved_from,
        reserved_until=booking.reserved_until,
        status=booking.status,
        overdue=booking.overdue,
        expires_at=booking.expires_at,
        price_lines=tuple(events.QuoteLine.model_validate(line) for line in booking.price_lines),
        rental_price=booking.rental_price,
        deposit=booking.deposit,
        late_fee=booking.late_fee,
        damage_charges=booking.damage_charges,
        cancellation_fee=booking.cancellation_fee,
        deposit_refund=booking.deposit_refund,
        balance_due=booking.balance_due,
        checked_out_at=booking.checked_out_at,
        returned_at=booking.returned_at,
        occurred_at=booking.updated_at,
        **extra,
    )


class BookingService:
    def __init__(self, session: AsyncSession, hold_ttl: timedelta) -> None:
        self.session = session
        self.hold_ttl = hold_ttl
        self.repo = BookingRepository(session)
        self.fleet = FleetRepository(session)

    # ---------------------------------------------------------------- reading and pricing

    async def availability(
        self, offering_id: uuid.UUID, start: datetime, end: datetime, now: datetime
    ) -> list[tuple[datetime, datetime]]:
        offering, terms = await self._offering(offering_id)
        validate_period(start, end, min(start, now), MAX_AVAILABILITY_RANGE)
        start = max(start, now, offering.available_from)
        if offering.available_until is not None:
            end = min(end, offering.available_until)
        if end <= start or not await self._units_bookable(offering):
            return []
        before, after = terms.turnaround_before, terms.turnaround_after
        blocked = await self.repo.blocked_periods(
            offering.unit_ids, half_open(start - before - after, end + before + after)
        )
        return free_periods(start, end, blocked, before=before, after=after)

    async def quote(
        self, offering_id: uuid.UUID, start: datetime, end: datetime, now: datetime
    ) -> Quote:
        offering, terms = await self._offering(offering_id)
        priced = quote(terms, start, end, now)
        _within_offering(offering, start, end)
        return priced

    async def get(self, principal: Principal, booking_id: uuid.UUID) -> Booking:
        booking = await self.repo.get(booking_id)
        if booking is None or not _may_see(principal, booking):
            raise NotFound("booking not found")
        return booking

    async def page(
        self,
        principal: Principal,
        cursor: str | None,
        limit: int,
        *,
        participant_id: uuid.UUID | None = None,
        status: BookingState | None = None,
        offering_id: uuid.UUID | None = None,
    ) -> tuple[list[Booking], str | None]:
        """Bookings the caller may see, newest first: its own as customer or lessor, or all
        for operators and auditors. Another tenant's ``participant_id`` matches nothing."""
        rows = await self.repo.page(
            before=cursor_id(cursor),
            limit=limit + 1,
            party=participant_id,
            visible_to=None if principal.sees_all_tenants else principal.participant_id,
            status=status.value if status is not None else None,
            offering_id=offering_id,
        )
        page, next_cursor = keyset_page(rows, limit, key=lambda row: row.id)
        return [b for b in page if _may_see(principal, b)], next_cursor

    # ---------------------------------------------------------------- the hold

    async def hold(
        self, principal: Principal, offering_id: uuid.UUID, start: datetime, end: datetime
    ) -> Booking:
        """Hold every unit of the offering for the padded period, or fail with 409."""
        now = datetime.now(UTC)
        found, units = await self.fleet.offering_and_units(offering_id)
        offering, terms = self._terms(found)
        priced = quote(terms, start, end, now)
        _within_offering(offering, start, end)
        if not _bookable(offering, units):
            raise Conflict(
                "a unit of this offering is out of service", code=RentalProblem.UNIT_UNAVAILABLE
            )
        period = half_open(priced.reserved_from, priced.reserved_until)
        window = await self.repo.maintenance_overlapping(offering.unit_ids, period)
        if window is not None:
            raise _taken(
                "a unit is in maintenance",
                RentalProblem.UNIT_IN_MAINTENANCE,
                window.period.lower,
                window.period.upper,
            )
        booking = Booking(
            id=uuid7(),
            offering_id=offering.id,
            customer_participant_id=principal.participant_id,
            lessor_participant_id=offering.lessor_participant_id,
            mode=booking_mode(offering, end - start),
            category=offering.category,
            kit_id=offering.kit_id,
            unit_ids=list(offering.unit_ids),
            start=start,
            end=end,
            reserved_from=priced.reserved_from,
            reserved_until=priced.reserved_until,
            status=BookingState.HELD.value,
            overdue=False,
            expires_at=now + terms.hold_ttl,
            price_lines=[_line(line) for line in priced.lines],
            rental_price=priced.rental,
            deposit=priced.deposit,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(booking)
        try:
            await self._reserve_held(offering.unit_ids, period, booking.id, now)
        except ReservationClash:
            raise await self._clash(offering.unit_ids, period, booking.id) from None
        await OUTBOX.append(self.session, snapshot(booking, events.BookingHeld), occurred_at=now)
        return booking

    async def _reserve_held(
        self,
        unit_ids: list[uuid.UUID],
        period: Range[datetime],
        booking_id: uuid.UUID,
        now: datetime,
    ) -> None:
        """Reserve the units for a hold. A hold past its TTL never blocks one: when the
        reservation clashes, the units' lapsed holds are expired here (as the sweeper would,
        with their facts) and the reservation is tried once more. Looking for them only then
        keeps that query off every hold (a tenth of a hold's CPU when it ran first, #14)."""
        try:
            await self.repo.reserve(unit_ids, period, "held", booking_id=booking_id)
        except ReservationClash:
            if not await self._expire_lapsed(now, unit_ids):
                raise
            await self.repo.reserve(unit_ids, period, "held", booking_id=booking_id)

    # ---------------------------------------------------------------- the steps after

    async def act(
        self,
        principal: Principal,
        booking_id: uuid.UUID,
        action: BookingAction,
        *,
        damage_charges: Decimal = ZERO,
        currency: str = CURRENCY,
    ) -> Booking:
        """Confirm, check out, return, inspect, close or cancel."""
        now = datetime.now(UTC)
        booking = await self._for_action(principal, booking_id, action)
        _, terms = await self._offering(booking.offering_id, published=False)
        state = BookingState(booking.status)
        target, fact = states.transition(state, action, now=now, expires_at=booking.expires_at)
        if action is BookingAction.CHECK_OUT:
            if now < booking.reserved_from:
                raise InvalidState(
                    "booking",
                    state.value,
                    action.value,
                    "check-out opens at the start of the reserved period",
                )
            booking.checked_out_at = now
        elif action is BookingAction.RETURN_UNIT:
            booking.returned_at = now
            booking.late_fee = states.late_fee(terms, booking.end, now)
            until = min(booking.reserved_until, now + terms.turnaround_after)
            await self.repo.set_reservations(booking.id, status="returned", until=until)
        elif action is BookingAction.INSPECT:
            require_currency(currency)
            damage = require_money(damage_charges, "damage_charges")
            settled = states.settle_deposit(booking.deposit, damage, booking.late_fee)
            booking.damage_charges = settled.damage_charges
            booking.deposit_refund, booking.balance_due = settled.refund, settled.balance_due
        elif action is BookingAction.CANCEL:
            booking.cancellation_fee = states.cancellation_fee(
                terms, state, booking.rental_price, booking.start, now
            )
            await self.repo.set_reservations(booking.id, status="released")
        if action in (BookingAction.CONFIRM, BookingAction.CHECK_OUT):
            await self.repo.set_reservations(booking.id, status=target.value)
        booking.status = target.value
        return await self._publish(booking, FACT_EVENTS[fact], now)

    async def extend(
        self, principal: Principal, booking_id: uuid.UUID, new_end: datetime
    ) -> Booking:
        """Move the end later when every unit is free until the new padded end."""
        now = datetime.now(UTC)
        booking = await self._for_action(principal, booking_id, BookingAction.EXTEND)
        offering, terms = await self._offering(booking.offering_id, published=False)
        state = BookingState(booking.status)
        states.transition(state, BookingAction.EXTEND, now=now, expires_at=booking.expires_at)
        validate_period(booking.start, new_end, booking.start, terms.max_duration)
        price = extension_price(terms, booking.start, booking.end, new_end)
        _within_offering(offering, booking.start, new_end)
        until = new_end + terms.turnaround_after
        widened = half_open(booking.reserved_until, until)
        window = await self.repo.maintenance_overlapping(booking.unit_ids, widened)
        if window is not None:
            raise _taken(
                "a unit is in maintenance",
                RentalProblem.UNIT_IN_MAINTENANCE,
                window.period.lower,
                window.period.upper,
            )
        try:
            await self.repo.set_reservations(booking.id, until=until)
        except ReservationClash:
            raise await self._clash(booking.unit_ids, widened, booking.id) from None
        previous_end = booking.end
        priced = quote(terms, booking.start, new_end, booking.start)
        booking.end, booking.reserved_until = new_end, until
        booking.price_lines = [_line(line) for line in priced.lines]
        booking.rental_price = priced.rental
        return await self._publish(
            booking, events.BookingExtended, now, previous_end=previous_end, extension_price=price
        )

    # ---------------------------------------------------------------- by themselves

    async def expire_lapsed_holds(self, now: datetime, limit: int = 100) -> int:
        """The sweeper: every hold past its TTL expires and frees its units."""
        return await self._expire_lapsed(now, None, limit)

    async def flag_overdue(self, now: datetime, limit: int = 100) -> int:
        """The sweeper: checked-out bookings past their end are flagged once."""
        late = await self.repo.newly_overdue(now, limit=limit)
        for booking in late:
            booking.overdue = True
            await self._publish(booking, events.BookingOverdueFlagged, now)
        return len(late)

    # ---------------------------------------------------------------- helpers

    async def _expire_lapsed(
        self, now: datetime, unit_ids: list[uuid.UUID] | None, limit: int = 100
    ) -> int:
        lapsed = await self.repo.lapsed_holds(now, unit_ids=unit_ids, limit=limit)
        for booking in lapsed:
            booking.status = BookingState.EXPIRED.value
            await self.repo.set_reservations(booking.id, status="released")
            await self._publish(booking, events.BookingExpired, now)
        return len(lapsed)

    async def _publish(
        self,
        booking: Booking,
        event: type[events.BookingSnapshot],
        now: datetime,
        **extra: object,
    ) -> Booking:
        booking.updated_at = now
        booking.version += 1
        await self.session.flush()
        await OUTBOX.append(self.session, snapshot(booking, event, **extra), occurred_at=now)
        return booking

    async def _offering(
        self, offering_id: uuid.UUID, *, published: bool = True
    ) -> tuple[Offering, PricingTerms]:
        return self._terms(await self.fleet.offering(offering_id), published=published)

    def _terms(
        self, offering: Offering | None, *, published: bool = True
    ) -> tuple[Offering, PricingTerms]:
        if offering is None:
            raise NotFound("offering not found")
        if published and offering.state != "published":
            raise Conflict(
                "the offering takes no new bookings", code=RentalProblem.OFFERING_WITHDRAWN
            )
        return offering, pricing_terms(offering, self.hold_ttl)

    async def _units_bookable(self, offering: Offering) -> bool:
        return _bookable(offering, await self.fleet.units(offering.unit_ids))

    async def _clash(
        self, unit_ids: list[uuid.UUID], period: Range[datetime], booking_id: uuid.UUID
    ) -> Conflict:
        taken = await self.repo.first_clash(unit_ids, period, excluding_booking=booking_id)
        if taken is None:  # the other writer rolled back meanwhile: ask the caller to retry
            return Conflict(
                "the period was taken concurrently; try again", code=RentalProblem.BOOKING_CONFLICT
            )
        if taken.window_id is not None:
            return _taken(
                "a unit is in maintenance",
                RentalProblem.UNIT_IN_MAINTENANCE,
                taken.period.lower,
                taken.period.upper,
            )
        return _taken(
            "a unit is already booked",
            RentalProblem.BOOKING_CONFLICT,
            taken.period.lower,
            taken.period.upper,
        )

    async def _for_action(
        self, principal: Principal, booking_id: uuid.UUID, action: BookingAction
    ) -> Booking:
        booking = await self.repo.get(booking_id, for_update=True)
        if booking is None or not _may_see(principal, booking):
            raise NotFound("booking not found")
        lessor_action = action in LESSOR_ACTIONS
        party = booking.lessor_participant_id if lessor_action else booking.customer_participant_id
        if not (principal.has("operator") or principal.participant_id == party):
            who = "the lessor" if lessor_action else "the customer"
            raise Forbidden(f"only {who} or an operator may {action.value.replace('_', ' ')}")
        return booking


def _bookable(offering: Offering, units: list[FleetUnit]) -> bool:
    """Every unit of the offering is in the fleet and may be booked."""
    return len(units) == len(set(offering.unit_ids)) and all(
        u.status in BOOKABLE_UNIT_STATUSES for u in units
    )


def _may_see(principal: Principal, booking: Booking) -> bool:
    return principal.may_access(booking.customer_participant_id) or principal.may_access(
        booking.lessor_participant_id
    )


def _within_offering(offering: Offering, start: datetime, end: datetime) -> None:
    if start < offering.available_from:
        raise Unprocessable(
            f"the offering is available from {offering.available_from.isoformat()}", field="start"
        )
    if offering.available_until is not None and end > offering.available_until:
        raise Unprocessable(
            f"the offering is available until {offering.available_until.isoformat()}",
            field="end",
        )


def _taken(
    detail: str, code: RentalProblem, start: datetime | None, end: datetime | None
) -> Conflict:
    """409 naming the occupied period, never whose booking it is."""
    period = {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }
    return Conflict(
        f"{detail} for [{period['start']}, {period['end']})", code=code, conflicting_period=period
    )


def _line(line: QuoteLine) -> dict[str, object]:
    return {
        "unit": line.unit.value,
        "quantity": line.quantity,
        "unit_price": f"{line.unit_price:.2f}",
        "amount": f"{line.amount:.2f}",
    }
