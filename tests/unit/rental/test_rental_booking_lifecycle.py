"""Booking states, expiry, overdue, late fees, cancellation fees and deposit settlement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from datapark_kit.errors import InvalidState
from datapark_rental.bookings.pricing import PricingTerms, RateCard, RateUnit
from datapark_rental.bookings.states import (
    ACTIVE_STATES,
    BookingAction,
    BookingState,
    cancellation_fee,
    event_type,
    is_overdue,
    late_fee,
    settle_deposit,
    transition,
)

D = Decimal
A, S = BookingAction, BookingState
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
TERMS = PricingTerms(
    RateCard({RateUnit.HOUR: D("10"), RateUnit.DAY: D("200")}),
    cancellation_tiers=(
        (timedelta(hours=72), D("0")),
        (timedelta(hours=24), D("0.25")),
        (timedelta(hours=2), D("0.50")),
    ),
)


def test_the_full_path_from_hold_to_close() -> None:
    state, facts = S.HELD, []
    for action in (A.CONFIRM, A.CHECK_OUT, A.RETURN_UNIT, A.INSPECT, A.CLOSE):
        state, fact = transition(state, action, now=NOW, expires_at=LATER)
        facts.append(event_type(fact))

    assert state is S.CLOSED
    assert facts[0] == "datapark.rental.booking.confirmed.v1"
    assert facts[-1] == "datapark.rental.booking.closed.v1"


def test_a_hold_expires_only_after_its_ttl_and_cannot_be_confirmed_then() -> None:
    with pytest.raises(InvalidState, match="not expired"):
        transition(S.HELD, A.EXPIRE, now=NOW, expires_at=LATER)
    with pytest.raises(InvalidState, match="has expired"):
        transition(S.HELD, A.CONFIRM, now=LATER, expires_at=LATER)

    assert transition(S.HELD, A.EXPIRE, now=LATER, expires_at=LATER) == (S.EXPIRED, "expired")


@pytest.mark.parametrize("state", [S.CHECKED_OUT, S.RETURNED, S.CLOSED, S.EXPIRED])
def test_cancelling_is_only_possible_before_check_out(state: BookingState) -> None:
    with pytest.raises(InvalidState) as caught:
        transition(state, A.CANCEL, now=NOW, expires_at=LATER)

    assert caught.value.status == 409


def test_only_held_confirmed_and_checked_out_bookings_block_the_unit() -> None:
    assert {S.HELD, S.CONFIRMED, S.CHECKED_OUT} == ACTIVE_STATES


def test_a_checked_out_booking_past_its_end_is_overdue() -> None:
    end = NOW

    assert not is_overdue(S.CHECKED_OUT, end, end)
    assert is_overdue(S.CHECKED_OUT, end, end + timedelta(seconds=1))
    assert not is_overdue(S.RETURNED, end, end + timedelta(days=1))


@pytest.mark.parametrize(
    ("late_by", "fee"),
    [
        (timedelta(minutes=30), D("0")),  # within the grace
        (timedelta(hours=2, minutes=10), D("30.00")),  # 1 h 40 → 2 h × 10 × 1.5
        (timedelta(hours=30, minutes=30), D("390.00")),  # 30 h → 1 day + 6 h = 260 × 1.5
    ],
)
def test_late_returns_pay_the_best_price_of_the_late_hours_with_a_surcharge(
    late_by: timedelta, fee: Decimal
) -> None:
    assert late_fee(TERMS, NOW, NOW + late_by) == fee


@pytest.mark.parametrize(
    ("state", "notice", "fee"),
    [
        (S.HELD, timedelta(hours=1), D("0")),
        (S.CONFIRMED, timedelta(hours=80), D("0.00")),
        (S.CONFIRMED, timedelta(hours=72), D("0.00")),
        (S.CONFIRMED, timedelta(hours=30), D("250.00")),
        (S.CONFIRMED, timedelta(hours=5), D("500.00")),
        (S.CONFIRMED, timedelta(hours=1), D("500.00")),  # less than every tier: the last
        (S.CONFIRMED, timedelta(hours=-1), D("500.00")),  # a no-show
    ],
)
def test_cancellation_fee_by_notice(state: BookingState, notice: timedelta, fee: Decimal) -> None:
    start = NOW + notice

    assert cancellation_fee(TERMS, state, D("1000.00"), start, NOW) == fee


def test_an_offering_without_tiers_cancels_free() -> None:
    free = PricingTerms(RateCard({RateUnit.DAY: D("200")}))

    assert cancellation_fee(free, S.CONFIRMED, D("1000.00"), NOW, NOW) == D("0")


def test_a_late_fee_per_hour_replaces_the_surcharge() -> None:
    per_hour = PricingTerms(RateCard({RateUnit.DAY: D("200")}), late_fee_per_hour=D("25"))

    assert late_fee(per_hour, NOW, NOW + timedelta(hours=3, minutes=1)) == D("75.00")


def test_no_cancellation_fee_once_checked_out_because_no_cancellation() -> None:
    with pytest.raises(InvalidState, match="before check-out"):
        cancellation_fee(TERMS, S.CHECKED_OUT, D("1000.00"), NOW, NOW)


def test_deposit_settlement_refunds_the_rest_or_bills_the_difference() -> None:
    refund = settle_deposit(D("500.00"), D("120.50"), D("30.00"))
    owed = settle_deposit(D("500.00"), D("600.00"), D("30.00"))

    assert (refund.refund, refund.balance_due) == (D("349.50"), D("0"))
    assert (owed.refund, owed.balance_due) == (D("0"), D("130.00"))
