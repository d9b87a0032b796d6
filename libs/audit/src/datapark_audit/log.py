"""The log as a list of events, for ``rebuild``, ``invariants`` and the report's charts.

Records that are not readable events are skipped here (``verify`` reports them); a redelivered
event (same id) is kept once. Dead letters are not events of their own and are not read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datapark_audit.reader import LogReader, select_topics
from datapark_audit.record import INJECTED_HEADER
from datapark_audit.settings import AuditSettings, UsageError
from datapark_audit.verify import RecordLike
from datapark_contracts.envelope import parse_time


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    subject: str
    time: datetime
    aggseq: int
    eventhash: str
    data: dict[str, Any]
    topic: str
    partition: int
    offset: int

    def location(self) -> tuple[str, int, int]:
        return (self.topic, self.partition, self.offset)


def events_of(records: Iterable[RecordLike], *, exclude_injected: bool = False) -> list[Event]:
    events: list[Event] = []
    seen: set[str] = set()
    for record in records:
        headers = {name: raw or b"" for name, raw in record.headers or ()}
        if exclude_injected and INJECTED_HEADER in headers:
            continue
        try:
            event_id = headers["ce_id"].decode()
            data = json.loads(record.value or b"")
            event = Event(
                id=event_id,
                type=headers["ce_type"].decode(),
                subject=headers["ce_subject"].decode(),
                time=parse_time(headers["ce_time"].decode()),
                aggseq=int(headers["ce_aggseq"]),
                eventhash=headers.get("ce_eventhash", b"").decode(),
                data=data,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        except (KeyError, ValueError, UnicodeDecodeError):
            continue
        if event_id in seen or not isinstance(data, dict):
            continue
        seen.add(event_id)
        events.append(event)
    events.sort(key=lambda e: (e.time, e.subject, e.aggseq))
    return events


async def load_events(
    settings: AuditSettings,
    *,
    topics: list[str] | None = None,
    topic_prefix: str | None = None,
    exclude_injected: bool = False,
    progress: Callable[[int], AbstractContextManager[Callable[[int], None]]] | None = None,
) -> list[Event]:
    """Every event of the selected topics (default: the registry's), in time order."""
    records: list[Any] = []
    async with LogReader(settings) as reader:
        existing = await reader.existing_topics()
        requested = list(topics or [])
        if topic_prefix:
            requested += sorted(t for t in existing if t.startswith(topic_prefix))
            if not requested:
                raise UsageError(f"no topic on the cluster starts with {topic_prefix!r}")
        selected = [t for t in select_topics(requested or None, existing) if not t.endswith(".dlq")]
        window = await reader.open(selected)
        if progress is None:
            async for batch in reader.batches():
                records.extend(batch)
        else:
            with progress(window.total) as advance:
                async for batch in reader.batches(on_progress=advance):
                    records.extend(batch)
    return events_of(records, exclude_injected=exclude_injected)
