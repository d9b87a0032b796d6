"""One record on its own: every check that needs no other record.

A record is a binary-mode CloudEvent (:mod:`datapark_audit.cloudevent`, the strict check
written from the specification, for every record) that the official ``cloudevents`` SDK reads
alike (for the first record of each event type in each process, every checkpoint, every
record with any finding, or every record with ``--sdk-every-record``); it carries the datapark
attributes (``subject``, ``time`` in the one form the platform hashes, ``aggseq`` in decimal,
``prevhash``, ``eventhash``) and JSON object data; its key is its subject; its ``eventhash``
is the chain hash of its attributes and data; its type is known and its data valid against
the exported JSON Schema of that type.

Pure functions of the record (and of which types the SDK has read in this process), so worker
processes can run them; the log-wide checks are :class:`datapark_audit.verify.Verifier`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from datapark_audit.cloudevent import (
    BinaryEvent,
    NotACloudEvent,
    parse_time,
    read_binary,
)
from datapark_contracts.canonical import (
    CanonicalizationError,
    canonical_json,
    loads_json,
)
from datapark_contracts.envelope import (
    CONTENT_TYPE,
    event_hash,
    plain_event_hash,
)
from datapark_contracts.events.audit import CHECKPOINT_TYPE
from datapark_contracts.schemas import SCHEMA_DIR

INJECTED_HEADER = "datapark-test-injected"
_DATAPARK = ("subject", "time", "aggseq", "prevhash", "eventhash")
_SDK_FORMAT = JSONFormat()

RawRecord = tuple[str, int, int, bytes | None, bytes | None, tuple[tuple[str, bytes], ...], int]


class SchemaValidators(dict[str, Any]):
    """One compiled validator per event type, from the exported JSON Schemas, each read and
    compiled when a record of its type is first met (a log holds a few of the hundred types,
    and a short read should not pay for compiling them all); ``validators[type]`` is None for
    a type with no schema."""

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        super().__init__()
        self._paths = {path.stem: path for path in directory.glob("datapark.*.json")}

    def __missing__(self, event_type: str) -> Any:
        path = self._paths.get(event_type)
        if path is None:
            return None  # not remembered: a type name comes from the record
        validator = jsonschema_rs.validator_for(json.loads(path.read_text()), validate_formats=True)
        self[event_type] = validator
        return validator


def schema_validators() -> SchemaValidators:
    """The validators of the exported JSON Schemas, compiled on first use per type."""
    return SchemaValidators()


@dataclass(slots=True)
class Inspected:
    """What one record says on its own: its findings and what the log-wide checks need."""

    where: tuple[str, int, int]
    timestamp: int
    injected: bool = False
    dead_letter: str = ""
    findings: list[tuple[str, str]] = field(default_factory=list)
    event_id: str | None = None
    event_type: str | None = None
    source: str = ""
    subject: str = ""
    aggseq: int = 0
    prevhash: str = ""
    eventhash: str | None = None
    checkpoint: dict[str, Any] | None = None
    sdk_read: bool = False


@dataclass
class SdkReading:
    """Which records the official CloudEvents SDK reads besides the strict check: every one
    (``every_record``), or the first of each event type (in this process), every checkpoint
    and every record with a finding."""

    every_record: bool = False
    types_read: set[str] = field(default_factory=set)

    def due(self, event_type: str, findings: bool) -> bool:
        return (
            self.every_record
            or findings
            or event_type not in self.types_read
            or event_type == CHECKPOINT_TYPE
        )

    def read(
        self, headers: dict[str, Any], key: bytes | None, value: bytes | None
    ) -> tuple[Any, str | None]:
        """The SDK's event, or None and its error."""
        message = KafkaMessage(headers=headers, key=key, value=value or b"")
        try:
            return from_binary(message, _SDK_FORMAT), None
        except Exception as exc:  # whatever the SDK raises is its verdict
            return None, " ".join(f"{type(exc).__name__}: {exc}".split())[:240]

    def compare(
        self, event: BinaryEvent, key: bytes | None, value: bytes | None, data: Any
    ) -> str | None:
        """Read an accepted record with the SDK: None when it reads the same event."""
        sdk_event, error = self.read(dict(event.headers), key, value)
        if sdk_event is None:
            return f"the official CloudEvents SDK cannot read it: {error}"
        event_id, source, _, event_type, _, _, subject, time = event.values[:8]
        ours = {"id": event_id, "source": source, "type": event_type, "subject": subject}
        for name, expected in ours.items():
            if sdk_event.get_attributes().get(name) != expected:
                return f"the official CloudEvents SDK reads {name} otherwise than this check"
        if time and sdk_event.get_time() != parse_time(time):
            return "the official CloudEvents SDK reads the time otherwise than this check"
        theirs = sdk_event.get_data()
        # different values; repr, when == says so, lets NaN equal NaN (1 and 1.0 cannot both
        # occur: loads_json gives json.loads's very types, a test holds it to that)
        if isinstance(data, dict) and theirs != data and repr(theirs) != repr(data):
            return "the official CloudEvents SDK reads the data otherwise than this check"
        self.types_read.add(event_type)
        return None

    def explain(
        self, headers: list[tuple[str, Any]], key: bytes | None, value: bytes | None, reason: str
    ) -> str:
        """The finding for a record the strict check refused, with the SDK's own verdict."""
        _, error = self.read(dict(headers), key, value)
        verdict = (
            f"the official SDK cannot read it either: {error}"
            if error
            else ("the official SDK reads it nonetheless")
        )
        return f"not a valid binary-mode CloudEvent: {reason}; {verdict}"[:400]


def _dead_letter_note(headers: list[tuple[str, Any]]) -> str:
    found = dict(headers)

    def h(name: str) -> str:
        raw = found.get(name)
        return raw.decode(errors="replace") if isinstance(raw, bytes) else "?"

    return (
        f"dead letter of {h('dlq_consumer_group')}: {h('dlq_reason')} (from "
        f"{h('dlq_original_topic')}/{h('dlq_original_partition')}@{h('dlq_original_offset')})"
    )


def _event_hash(
    values: tuple[str, ...],
    aggseq: int,
    value: bytes | None,
    data: dict[str, Any],
    plain: bool = False,
) -> str:
    """The chain hash of the event over the record's value as it came, or (``value`` None)
    over the data re-serialised (for a value not written canonical); a finding's text when it
    cannot be computed. ``plain``: the record's header values are known to be printable ASCII
    other than a quote or a backslash (:attr:`BinaryEvent.plain`)."""
    event_id, source, _, event_type, _, dataschema, subject, time, _, prevhash, _ = values
    if plain and value is not None:
        return plain_event_hash(
            event_id, source, event_type, subject, time, dataschema, aggseq, prevhash, value
        )
    try:
        return event_hash(
            id=event_id,
            source=source,
            type=event_type,
            subject=subject,
            time=time,
            dataschema=dataschema,
            aggseq=aggseq,
            prevhash=prevhash,
            value=canonical_json(data) if value is None else value,
        )
    except (CanonicalizationError, UnicodeEncodeError) as exc:
        return f"unhashable: {exc}"


def _schema_finding(validator: Any, event_type: str, data: Any) -> tuple[str, str]:
    errors = list(validator.iter_errors(data))
    first = errors[0]
    path = "/".join(str(p) for p in first.instance_path) or "(root)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ("schema", f"data breaks the schema of {event_type}: {path}: {first.message}{more}")


def inspect_record(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Any,
    timestamp: int,
    validators: SchemaValidators,
    sdk: SdkReading,
) -> Inspected:
    """Every check one record allows by itself."""
    header_list = headers if type(headers) is list else list(headers or ())
    dead_letter = _dead_letter_note(header_list) if topic.endswith(".dlq") else ""
    try:
        event = read_binary(header_list, key)
    except NotACloudEvent as exc:
        found = dict(header_list)
        raw_id = found.get("ce_id")
        return Inspected(
            (topic, partition, offset),
            timestamp,
            injected=INJECTED_HEADER in found,
            dead_letter=dead_letter,
            findings=[("cloudevent", sdk.explain(header_list, key, value, str(exc)))],
            event_id=raw_id.decode(errors="replace") or None if raw_id else None,
            sdk_read=True,
        )
    values = event.values
    event_id, source, _, event_type, content_type, _, subject, time = values[:8]
    aggseq_text, prevhash, eventhash = values[8:]
    findings: list[tuple[str, str]] = []
    seen = Inspected(
        (topic, partition, offset),
        timestamp,
        INJECTED_HEADER in event.layout.names,
        dead_letter,
        findings,
        event_id,
        event_type,
        source,
        subject,
    )
    data = None
    if not (subject and time and aggseq_text and prevhash and eventhash):
        missing = [name for name, text in zip(_DATAPARK, values[6:], strict=True) if not text]
        findings.append(("attributes", f"missing attributes: {', '.join(missing)}"))
    else:
        try:
            data = loads_json(value) if value and content_type == CONTENT_TYPE else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None  # as the SDK: not JSON after all
        if type(data) is not dict:
            findings.append(("attributes", "data is not a JSON object (application/json)"))
        elif not (aggseq_text.isdigit() and aggseq_text.isascii() and aggseq_text[0] != "0"):
            findings.append(
                ("attributes", f"bad attribute: aggseq {aggseq_text!r} is not a positive integer")
            )
        else:
            assert value is not None  # data was decoded from it
            _check_event(seen, event, int(aggseq_text), key, value, data, validators)
    if sdk.due(event_type, bool(findings)):
        seen.sdk_read = True
        problem = sdk.compare(event, key, value, data)
        if problem:
            findings.append(("cloudevent", problem))
    return seen


def _check_event(
    seen: Inspected,
    event: BinaryEvent,
    aggseq: int,
    key: bytes | None,
    value: bytes,
    data: dict[str, Any],
    validators: SchemaValidators,
) -> None:
    """The checks of a record that has every datapark attribute and JSON object data."""
    values = event.values
    _, _, _, event_type, _, _, subject, time, _, prevhash, eventhash = values
    findings = seen.findings
    seen.aggseq, seen.prevhash = aggseq, prevhash
    # read_binary found the time an RFC 3339 date-time: of those, the canonical form is the one
    # of 27 characters with an upper-case T and Z (a fraction of six digits), as CANONICAL_TIME
    if not (len(time) == 27 and time[10] == "T" and time[26] == "Z"):
        findings.append(("attributes", f"time {time!r} is not in canonical form"))
    if key is None or key.decode(errors="replace") != subject:
        findings.append(
            ("key", f"record key {key!r} differs from the aggregate id (subject) {subject!r}")
        )
    if (
        _event_hash(values, aggseq, value, data, event.plain) != eventhash
        and _event_hash(values, aggseq, None, data) != eventhash
    ):
        findings.append(
            ("eventhash", "eventhash does not match the event's content (forged or altered)")
        )
    validator = validators[event_type]
    if validator is None:
        findings.append(("type", f"unknown event type {event_type!r}"))
    elif not validator.is_valid(data):
        findings.append(_schema_finding(validator, event_type, data))
    elif event_type == CHECKPOINT_TYPE:
        seen.checkpoint = data
    seen.eventhash = eventhash


def as_raw(record: Any) -> RawRecord:
    """A record as plain values (what a worker process is sent)."""
    return (
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        tuple(record.headers or ()),
        record.timestamp,
    )


_WORKER_VALIDATORS = SchemaValidators()
_WORKER_SDK = SdkReading()


def init_worker(sdk_every_record: bool = False) -> None:
    _WORKER_SDK.every_record = sdk_every_record


def inspect_batch(raws: list[RawRecord]) -> list[Inspected]:
    """In a worker process (after :func:`init_worker`)."""
    return [inspect_record(*raw, _WORKER_VALIDATORS, _WORKER_SDK) for raw in raws]
