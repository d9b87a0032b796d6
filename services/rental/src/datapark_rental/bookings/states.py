"""The booking state machine and its money rules (see ``domain/leasing.md``).

::

    held ─confirm→ confirmed ─check_out→ checked_out ─return_unit→ returned ─inspect→
      inspected ─close→ closed
    held ─expire (TTL passed)→ expired        held | confirmed ─cancel→ cancelled

``held``, ``confirmed`` and ``checked_out`` are the *active* states: only they take part in the
exclusion constraint, so an expired or cancelled booking frees its period at once and a
returned unit is free again after its turnaround padding.

Rules:

- A hold can be confirmed only before it expires; at or after ``expires_at`` it can only expire.
- **Overdue**: a checked-out booking past its end (``now > end``) is flagged overdue.
- **Late fee**: on return, time beyond ``end + late_grace`` is rounded up to started hours and
  priced at the offering's ``late_fee_per_hour``, or, when it has none, at the best rate-card
  price for those hours × ``late_fee_multiplier``.
- **Cancellation fee**: a hold cancels free (nothing was committed). A confirmed booking pays
  ``rental × rate`` of the first tier (longest notice first) whose notice it meets; with less
  notice than every tier, or after the start (a no-show), the last tier's rate; an offering
  without tiers cancels free.
- **Deposit settlement** after inspection: deposit − damage charges − late fee; a positive
  rest is refunded, a negative rest is owed by the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from datapark_contracts.money import to_fen
from datapark_kit.errors import InvalidState, Unprocessable
from datapark_rental.bookings.pricing import HOUR, PricingTerms, cheapest_cover
from datapark_rental.terms.money import ZERO, require_money


class BookingState(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    CHECKED_OUT = "checked_out"
    RETURNED = "returned"
    INSPECTED = "inspected"
    CLOSED = "closed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class BookingAction(StrEnum):
    CONFIRM = "confirm"
    CHECK_OUT = "check_out"
    RETURN_UNIT = "return_unit"
    INSPECT = "inspect"
    CLOSE = "close"
    EXPIRE = "expire"
    CANCEL = "cancel"
    EXTEND = "extend"


ACTIVE_STATES = frozenset({BookingState.HELD, BookingState.CONFIRMED, BookingState.CHECKED_OUT})

_S, _A = BookingState, BookingAction
TRANSITIONS: dict[tuple[BookingState, BookingAction], tuple[BookingState, str]] = {
    (_S.HELD, _A.CONFIRM): (_S.CONFIRMED, "confirmed"),
    (_S.CONFIRMED, _A.CHECK_OUT): (_S.CHECKED_OUT, "checked_out"),
    (_S.CHECKED_OUT, _A.RETURN_UNIT): (_S.RETURNED, "returned"),
    (_S.RETURNED, _A.INSPECT): (_S.INSPECTED, "inspected"),
    (_S.INSPECTED, _A.CLOSE): (_S.CLOSED, "closed"),
    (_S.HELD, _A.EXPIRE): (_S.EXPIRED, "expired"),
    (_S.HELD, _A.CANCEL): (_S.CANCELLED, "cancelled"),
    (_S.CONFIRMED, _A.CANCEL): (_S.CANCELLED, "cancelled"),
    (_S.HELD, _A.EXTEND): (_S.HELD, "extended"),
    (_S.CONFIRMED, _A.EXTEND): (_S.CONFIRMED, "extended"),
    (_S.CHECKED_OUT, _A.EXTEND): (_S.CHECKED_OUT, "extended"),
}


def transition(
    state: BookingState, action: BookingAction, *, now: datetime, expires_at: datetime
) -> tuple[BookingState, str]:
    """The next state and the fact recorded, or :class:`InvalidState` (409)."""
    step = TRANSITIONS.get((state, action))
    if step is None:
        raise InvalidState("booking", state.value, action.value)
    if state is BookingState.HELD:
        if action is BookingAction.EXPIRE and now < expires_at:
            raise InvalidState("booking", state.value, action.value, "the hold has not expired")
        if action is not BookingAction.EXPIRE and now >= expires_at:
            raise InvalidState("booking", state.value, action.value, "the hold has expired")
    return step


def event_type(fact: str) -> str:
    return f"datapark.rental.booking.{fact}.v1"


def is_overdue(state: BookingState, end: datetime, now: datetime) -> bool:
    return state is BookingState.CHECKED_OUT and now > end


def late_fee(terms: PricingTerms, end: datetime, returned_at: datetime) -> Decimal:
    late = returned_at - end - terms.late_grace
    if late <= timedelta(0):
        return ZERO
    hours = -(-late // HOUR)
    if terms.late_fee_per_hour is not None:
        return to_fen(terms.late_fee_per_hour * hours)
    price = sum((line.amount for line in cheapest_cover(hours, terms.rate_card)), ZERO)
    return to_fen(price * terms.late_fee_multiplier)


def cancellation_fee(
    terms: PricingTerms, state: BookingState, rental: Decimal, start: datetime, now: datetime
) -> Decimal:
    """The fee for cancelling now (the state must allow cancelling)."""
    if (state, BookingAction.CANCEL) not in TRANSITIONS:
        raise InvalidState(
            "booking",
            state.value,
            BookingAction.CANCEL.value,
            "a booking can be cancelled only before check-out",
        )
    tiers = terms.cancellation_tiers
    if state is BookingState.HELD or not tiers:
        return ZERO
    notice = start - now
    rate = next((rate for minimum, rate in tiers if notice >= minimum), tiers[-1][1])
    return to_fen(rental * rate)


@dataclass(frozen=True)
class DepositSettlement:
    deposit: Decimal
    damage_charges: Decimal
    late_fee: Decimal
    refund: Decimal
    balance_due: Decimal


def settle_deposit(
    deposit: Decimal, damage_charges: Decimal, late_fee_amount: Decimal
) -> DepositSettlement:
    damage = require_money(damage_charges, "damage_charges")
    rest = deposit - damage - late_fee_amount
    if late_fee_amount < 0:
        raise Unprocessable("late fee must not be negative", field="late_fee")
    return DepositSettlement(deposit, damage, late_fee_amount, max(rest, ZERO), max(-rest, ZERO))
