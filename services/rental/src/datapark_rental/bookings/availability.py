"""Free periods of an offering: where a booking ``[s, e)`` fits once padded.

A booking needs ``[s − before, e + after)`` free on every unit. Given the blocked periods of the
offering's units (reservations, already padded, and maintenance windows) merged into gaps, a
booking fits in a gap ``[a, b)`` when ``a + before <= s`` and ``e <= b − after``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def merge(periods: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching half-open periods joined, in order."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def free_periods(
    start: datetime,
    end: datetime,
    blocked: Iterable[tuple[datetime, datetime]],
    *,
    before: timedelta,
    after: timedelta,
) -> list[tuple[datetime, datetime]]:
    """Where bookings can start and end within ``[start, end)`` around ``blocked``."""
    free: list[tuple[datetime, datetime]] = []
    cursor: datetime | None = None  # None: no block before, so no padding to respect
    for block_start, block_end in merge(blocked):
        low = start if cursor is None else max(start, cursor + before)
        high = min(end, block_start - after)
        if low < high:
            free.append((low, high))
        cursor = block_end
    low = start if cursor is None else max(start, cursor + before)
    if low < end:
        free.append((low, end))
    return free
