"""The relay writes a row's CloudEvents headers from its columns (#14): the same bytes, in the
same order, as the envelope parsed from the row would give; and its two-way wait runs both
sides to the end and reports the first one's error."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope, format_time
from datapark_eventing.relay import _both, _envelope_of, _headers_of


def _row(**changes: Any) -> dict[str, Any]:
    sealed = Envelope(
        id=uuid.UUID("01930000-0000-7000-8000-000000000001"),
        source="/datapark/catalog",
        type="datapark.catalog.participant.registered.v1",
        subject="7f1c2a9e-0000-4000-8000-00000000abcd",
        time=datetime(2026, 11, 30, 17, 0, 0, 123456, tzinfo=UTC),
        data={"name": "Lanzhou Wool Co.", "n": 1},
        aggseq=3,
        prevhash=GENESIS_HASH,
    ).sealed()
    row = {
        "id": sealed.id,
        "topic": "catalog.participants.v1",
        "event_type": sealed.type,
        "source": sealed.source,
        "subject": sealed.subject,
        "event_time": sealed.time,
        "payload": sealed.value().decode(),
        "aggseq": sealed.aggseq,
        "prevhash": sealed.prevhash,
        "eventhash": sealed.eventhash,
        "dataschema": sealed.dataschema,
        "traceparent": None,
        "tracestate": None,
    }
    row |= changes
    # what the relay's SELECT adds: the id's and the time's header texts, which Postgres
    # writes (its side: tests/integration/spine/test_spine_relay_time.py)
    return row | {"ce_id": str(row["id"]), "ce_time": format_time(row["event_time"])}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        {
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "congo=t61rcWkgMzE",
        },
        {"tracestate": "congo=t61rcWkgMzE"},  # a state without a parent: sent as stored
        {"subject": "兰州-0001", "source": "/datapark/租赁"},  # non-ASCII attribute texts
        # Postgres hands back timestamptz in the session's zone: the header is UTC either way
        {"event_time": datetime(2026, 12, 1, 1, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))},
        {"aggseq": 2**40},
    ],
)
def test_the_headers_written_from_a_row_are_the_envelopes(changes: dict[str, Any]) -> None:
    row = _row(**changes)
    assert _headers_of(row) == _envelope_of(row).headers()


def test_a_row_with_a_trace_context_sends_it() -> None:
    headers = dict(_headers_of(_row(traceparent="00-abc-def-01")))
    assert headers["traceparent"] == b"00-abc-def-01"
    assert "tracestate" not in headers


async def test_both_waits_for_both_and_returns_their_results() -> None:
    finished: list[str] = []

    async def slow() -> str:
        await asyncio.sleep(0.01)
        finished.append("slow")
        return "a"

    async def fast() -> int:
        finished.append("fast")
        return 2

    assert await _both(slow(), fast()) == ("a", 2)
    assert finished == ["fast", "slow"]


async def test_both_lets_the_other_side_finish_when_one_fails() -> None:
    finished: list[str] = []

    async def fails() -> None:
        raise LookupError("commit refused")

    async def reads() -> list[int]:
        await asyncio.sleep(0.01)
        finished.append("read")
        return [1]

    with pytest.raises(LookupError, match="commit refused"):
        await _both(fails(), reads())
    assert finished == ["read"]  # the read was not abandoned halfway


async def test_both_reports_the_first_sides_error_when_both_fail() -> None:
    async def commit() -> None:
        await asyncio.sleep(0.01)
        raise LookupError("commit")

    async def read() -> None:
        raise OSError("read")

    with pytest.raises(LookupError, match="commit"):
        await _both(commit(), read())
