"""Free periods of an offering around blocked (already padded) periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from datapark_rental.bookings.availability import free_periods, merge

T0 = datetime(2025, 6, 1, tzinfo=UTC)
H = timedelta(hours=1)


def at(hours: float) -> datetime:
    return T0 + hours * H


def test_overlapping_and_touching_blocks_merge() -> None:
    assert merge([(at(5), at(7)), (at(1), at(3)), (at(3), at(4)), (at(6), at(9))]) == [
        (at(1), at(4)),
        (at(5), at(9)),
    ]


def test_nothing_blocked_leaves_the_whole_range() -> None:
    assert free_periods(at(0), at(24), [], before=H, after=2 * H) == [(at(0), at(24))]


def test_a_booking_keeps_its_padding_clear_of_blocks() -> None:
    # blocked 10–12: a booking must end 2 h (after) before 10 and start 1 h (before) after 12
    free = free_periods(at(0), at(24), [(at(10), at(12))], before=H, after=2 * H)

    assert free == [(at(0), at(8)), (at(13), at(24))]


def test_gaps_too_small_for_the_padding_disappear() -> None:
    blocked = [(at(2), at(4)), (at(6), at(8))]  # 2 h gap < 1 h before + 2 h after

    assert free_periods(at(0), at(12), blocked, before=H, after=2 * H) == [(at(9), at(12))]


def test_a_block_covering_the_start_pushes_it() -> None:
    assert free_periods(at(5), at(12), [(at(0), at(8))], before=H, after=H) == [(at(9), at(12))]
