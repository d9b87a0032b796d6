"""The relay reads each row's ``ce_time`` and ``ce_id`` header texts as Postgres writes them
(#14): the very texts ``format_time`` and ``str(uuid)`` give, which the event hash covers, for
the times an outbox row can hold (any offset, no fraction, the extremes of Python's range,
which asyncpg stores as infinities: the relay formats those itself)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from datapark_contracts.envelope import format_time
from datapark_eventing.relay import CE_ID_SQL, CE_TIME_SQL, _ce_time
from datapark_kit.db import asyncpg_dsn

TIMES = [
    datetime(2026, 11, 30, 17, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 30, 17, 0, 0, tzinfo=UTC),  # no fraction: still six digits
    datetime(2026, 11, 30, 17, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 30, 17, 0, 0, 999999, tzinfo=UTC),
    datetime(2026, 12, 1, 1, 30, 0, 500000, tzinfo=timezone(timedelta(hours=8))),  # Beijing
    datetime(2026, 3, 29, 1, 0, 0, 10, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),  # a leap day
    datetime.min.replace(tzinfo=UTC),  # asyncpg stores it as -infinity: no text, Python's
    datetime(999, 12, 31, 23, 59, 59, 7, tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),  # asyncpg stores it as infinity
    datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", TIMES, ids=[t.isoformat() for t in TIMES])
async def test_postgres_writes_the_time_text_the_hash_covers(
    migrated_database: str, moment: datetime
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(migrated_database))
    try:
        # a session in another zone: the text must not depend on it
        await conn.execute("SET TIME ZONE 'Asia/Shanghai'")
        event_id = uuid.uuid4()
        texts = await conn.fetchrow(
            f"SELECT event_time, {CE_TIME_SQL} AS ce_time, {CE_ID_SQL} AS ce_id "
            "FROM (SELECT $1::timestamptz AS event_time, $2::uuid AS id) AS row",
            moment,
            event_id,
        )
    finally:
        await conn.close()
    assert _ce_time(texts) == format_time(moment)
    if moment not in (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)):
        assert texts["ce_time"] == format_time(moment)  # Postgres wrote it
    assert texts["ce_id"] == str(event_id)
