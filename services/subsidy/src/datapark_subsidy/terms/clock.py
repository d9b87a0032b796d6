"""The park's calendar: business dates are local dates in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARK_TIME = ZoneInfo("Asia/Shanghai")


def park_today(now: datetime | None = None) -> date:
    """Today in the park (a claim earned on 1 January is reviewable from 00:00 Beijing time)."""
    return (now or datetime.now(UTC)).astimezone(PARK_TIME).date()
