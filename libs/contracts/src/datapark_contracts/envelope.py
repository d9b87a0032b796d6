"""The CloudEvents 1.0 envelope in Kafka binary content mode, with the tamper-evident chain.

A record's value is the JSON ``data``; every attribute travels in a ``ce_*`` header; the key
is the aggregate id (also the CloudEvents ``subject``) so one aggregate stays on one partition.
Extension attributes ``aggseq``, ``prevhash`` and ``eventhash`` chain each aggregate's events.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, TypedDict, Unpack

from datapark_contracts.canonical import (
    CanonicalizationError,
    _decode,
    canonical_json,
    chain_hash,
    chain_hash_of_canonical,
    loads_json,
)

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SCHEMA_BASE = "https://datapark.example/schemas/"

_REQUIRED_HEADERS = (
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
    "ce_aggseq",
    "ce_prevhash",
    "ce_eventhash",
)


class MalformedEvent(ValueError):
    """A record that is not a valid datapark CloudEvent (missing headers, bad JSON, bad hash)."""


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``: the one textual form we hash and send."""
    if value.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# the one textual form format_time writes: what every record the platform sends carries
CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("event time carries no offset")
    return parsed.astimezone(UTC)


_SAFE_INTEGER = 2**53 - 1


class HashedAttributes(TypedDict):
    """The texts of the attributes an event hash covers that vary from event to event."""

    id: str
    source: str
    type: str
    subject: str
    time: str
    dataschema: str
    aggseq: int
    prevhash: str


def hashed_attributes(**attributes: Unpack[HashedAttributes]) -> dict[str, Any]:
    """Every attribute that the chain hash covers (all of them but ``eventhash``)."""
    return {
        "specversion": SPECVERSION,
        "id": attributes["id"],
        "source": attributes["source"],
        "type": attributes["type"],
        "subject": attributes["subject"],
        "time": attributes["time"],
        "datacontenttype": CONTENT_TYPE,
        "dataschema": attributes["dataschema"],
        "aggseq": attributes["aggseq"],
        "prevhash": attributes["prevhash"],
    }


def hashed_attributes_json(**attributes: Unpack[HashedAttributes]) -> bytes:
    """The canonical JSON (RFC 8785) of the attributes an event hash covers, written directly.

    The same bytes as ``canonical_json`` of the dict :func:`hashed_attributes` returns (keys in
    their sorted order, strings escaped by the standard library's C encoder, which escapes
    exactly what RFC 8785 does); what this form cannot represent (an unsafe integer, a lone
    surrogate) goes through ``canonical_json``.
    """
    aggseq = attributes["aggseq"]
    if -_SAFE_INTEGER <= aggseq <= _SAFE_INTEGER:
        try:
            return (
                f'{{"aggseq":{aggseq},"datacontenttype":"{CONTENT_TYPE}",'
                f'"dataschema":{encode_basestring(attributes["dataschema"])},'
                f'"id":{encode_basestring(attributes["id"])},'
                f'"prevhash":{encode_basestring(attributes["prevhash"])},'
                f'"source":{encode_basestring(attributes["source"])},'
                f'"specversion":"{SPECVERSION}",'
                f'"subject":{encode_basestring(attributes["subject"])},'
                f'"time":{encode_basestring(attributes["time"])},'
                f'"type":{encode_basestring(attributes["type"])}}}'
            ).encode()
        except UnicodeEncodeError:
            pass
    return canonical_json(hashed_attributes(**attributes))


# the ASCII characters JSON writes as they are: printable, but for the quote and the backslash
_AS_IS = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')


def event_hash(
    id: str,
    source: str,
    type: str,
    subject: str,
    time: str,
    dataschema: str,
    aggseq: int,
    prevhash: str,
    value: bytes,
) -> str:
    """The chain hash of an event given its attributes' texts and its data's JSON bytes, as
    ``chain_hash_of_canonical(prevhash, hashed_attributes_json(...), value)`` gives it.

    Readers compute it for every record (positionally, the cheaper call), so the common case
    is written in one piece: when no attribute holds anything but printable ASCII other than a
    quote or a backslash, each string's JSON form is the string in quotes. Anything else takes
    the general path. Raises ``UnicodeEncodeError`` for a ``prevhash`` that is not ASCII (and a
    lone surrogate), :class:`~datapark_contracts.canonical.CanonicalizationError` for what
    RFC 8785 cannot represent.
    """
    texts = "".join((id, source, type, subject, time, dataschema, prevhash))
    if (
        -_SAFE_INTEGER <= aggseq <= _SAFE_INTEGER
        and texts.isascii()
        and not texts.encode().translate(None, _AS_IS)
    ):
        return plain_event_hash(
            id, source, type, subject, time, dataschema, aggseq, prevhash, value
        )
    # the general route: the attributes through RFC 8785
    attributes_json = hashed_attributes_json(
        id=id,
        source=source,
        type=type,
        subject=subject,
        time=time,
        dataschema=dataschema,
        aggseq=aggseq,
        prevhash=prevhash,
    )
    return chain_hash_of_canonical(prevhash, attributes_json, value)


def plain_event_hash(
    id: str,
    source: str,
    type: str,
    subject: str,
    time: str,
    dataschema: str,
    aggseq: int,
    prevhash: str,
    value: bytes,
) -> str:
    """:func:`event_hash` for a caller that has found every text printable ASCII other than a
    quote or a backslash (a reader that scanned a record's header values at once): the canonical
    JSON of such a string is the string in quotes, so the attributes are written in one piece.
    Only for texts so checked: :func:`event_hash` checks them and calls this."""
    if not -_SAFE_INTEGER <= aggseq <= _SAFE_INTEGER:  # RFC 8785 formats it: the general route
        return event_hash(id, source, type, subject, time, dataschema, aggseq, prevhash, value)
    head = (
        f'{prevhash}{{"attributes":{{"aggseq":{aggseq},"datacontenttype":"{CONTENT_TYPE}",'
        f'"dataschema":"{dataschema}","id":"{id}","prevhash":"{prevhash}",'
        f'"source":"{source}","specversion":"{SPECVERSION}","subject":"{subject}",'
        f'"time":"{time}","type":"{type}"}},"data":'
    ).encode()
    digest = hashlib.sha256(head)
    digest.update(value)  # not copied into one body: values run to kilobytes
    digest.update(b"}")
    return digest.hexdigest()


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SAFETY_UNKNOWN = uuid.SafeUUID.unknown


def _uuid_of_canonical(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` for a text ``_CANONICAL_UUID`` matched: its 32 hex digits are the
    number, so the checks of ``UUID.__init__`` (other spellings, braces, URNs) are skipped; a
    replay builds one for every record. The same value, hash and text as ``uuid.UUID(text)``."""
    value = object.__new__(uuid.UUID)
    object.__setattr__(value, "int", int(text.replace("-", ""), 16))
    object.__setattr__(value, "is_safe", _SAFETY_UNKNOWN)
    return value


_SPECVERSION_BYTES = SPECVERSION.encode()
_CONTENT_TYPE_BYTES = CONTENT_TYPE.encode()


def cloudevent_headers(
    id: str,
    source: str,
    type: str,
    subject: str,
    time: str,
    dataschema: str,
    aggseq: int,
    prevhash: str,
    eventhash: str,
    traceparent: str | None,
    tracestate: str | None,
) -> list[tuple[str, bytes]]:
    """An event's Kafka headers (CloudEvents binary mode, and the W3C trace context when there
    is one), from its attributes' texts: ``id`` and ``time`` in the forms the hash covers
    (``str`` of the UUID, :func:`format_time`). The one writer of these headers:
    :meth:`Envelope.headers` and the relay, which writes them from an outbox row's columns."""
    headers = [
        ("ce_specversion", _SPECVERSION_BYTES),
        ("ce_id", id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type.encode()),
        ("ce_subject", subject.encode()),
        ("ce_time", time.encode()),
        ("ce_dataschema", dataschema.encode()),
        ("ce_aggseq", str(aggseq).encode()),
        ("ce_prevhash", prevhash.encode()),
        ("ce_eventhash", eventhash.encode()),
        ("content-type", _CONTENT_TYPE_BYTES),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    if tracestate:
        headers.append(("tracestate", tracestate.encode()))
    return headers


def dataschema_for(event_type: str) -> str:
    return f"{SCHEMA_BASE}{event_type}.json"


@dataclass(frozen=True)
class Envelope:
    """One event as it travels: CloudEvents attributes, chain extensions and the JSON data."""

    id: uuid.UUID
    source: str
    type: str
    subject: str
    time: datetime
    data: dict[str, Any]
    aggseq: int
    prevhash: str
    eventhash: str = ""
    dataschema: str = ""
    traceparent: str | None = None
    tracestate: str | None = None
    extra_headers: tuple[tuple[str, bytes], ...] = field(default=(), compare=False)

    def hashed_attributes(self) -> dict[str, Any]:
        """Every attribute that the chain hash covers (all of them but ``eventhash``)."""
        return hashed_attributes(
            id=str(self.id),
            source=self.source,
            type=self.type,
            subject=self.subject,
            time=format_time(self.time),
            dataschema=self.dataschema,
            aggseq=self.aggseq,
            prevhash=self.prevhash,
        )

    def compute_hash(self) -> str:
        return chain_hash(self.prevhash, self.hashed_attributes(), self.data)

    def sealed(self) -> Envelope:
        """This envelope with ``eventhash`` (and a default ``dataschema``) filled in."""
        schema = self.dataschema or dataschema_for(self.type)
        draft = replace(self, dataschema=schema)
        return replace(draft, eventhash=draft.compute_hash())

    def hash_is_valid(self) -> bool:
        return self.eventhash == self.compute_hash()

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def value(self) -> bytes:
        """The canonical JSON (RFC 8785) of the data: readers can hash these very bytes."""
        return canonical_json(self.data)

    def headers(self) -> list[tuple[str, bytes]]:
        headers = cloudevent_headers(
            str(self.id),
            self.source,
            self.type,
            self.subject,
            format_time(self.time),
            self.dataschema,
            self.aggseq,
            self.prevhash,
            self.eventhash,
            self.traceparent,
            self.tracestate,
        )
        headers.extend(self.extra_headers)
        return headers

    @classmethod
    def from_kafka(
        cls,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> Envelope:
        """Parse a record; raise :class:`MalformedEvent` when anything is missing or wrong.

        A record as the platform writes it is parsed by the compiled ``_record.parse`` when the
        package was built with it; that returns None for anything else, which the code below
        decides (the same envelope either way)."""
        if _parse_plain is not None and cls is Envelope:
            parsed = _parse_plain(key, value, headers)
            if parsed is not None:
                return parsed
        try:
            try:
                found = {name: raw.decode() for name, raw in headers}
            except AttributeError:  # a header without a value: read as the empty string
                found = {name: raw.decode() if raw is not None else "" for name, raw in headers}
        except UnicodeDecodeError as exc:
            raise MalformedEvent("a header is not UTF-8") from exc
        if not all(map(found.get, _REQUIRED_HEADERS)):
            missing = [h for h in _REQUIRED_HEADERS if not found.get(h)]
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if found["ce_specversion"] != SPECVERSION:
            raise MalformedEvent(f"unsupported specversion {found['ce_specversion']!r}")
        if value is None:
            raise MalformedEvent("record has no value")
        try:
            data = loads_json(value)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise MalformedEvent(f"value is not JSON: {exc}") from exc
        if type(data) is not dict:
            raise MalformedEvent("event data must be a JSON object")
        time_text = found["ce_time"]
        id_text = found["ce_id"]
        try:
            if _CANONICAL_UUID.fullmatch(id_text):
                event_id = _uuid_of_canonical(id_text)
            else:
                event_id = uuid.UUID(id_text)
                id_text = str(event_id)  # the hash covers the canonical form
            if CANONICAL_TIME.fullmatch(time_text):
                time = datetime.fromisoformat(time_text)  # already the form that is hashed
            else:
                time = parse_time(time_text)
                time_text = format_time(time)
            aggseq = int(found["ce_aggseq"])
        except ValueError as exc:
            raise MalformedEvent(f"bad attribute: {exc}") from exc
        subject = found["ce_subject"]
        if key is not None and key.decode(errors="replace") != subject:
            raise MalformedEvent("record key differs from the event subject")
        # Every field set at once, as the generated __init__ would set them one by one through
        # object.__setattr__ (the class is frozen): a replay builds one envelope per record.
        envelope = object.__new__(cls)
        object.__setattr__(
            envelope,
            "__dict__",
            {
                "id": event_id,
                "source": found["ce_source"],
                "type": found["ce_type"],
                "subject": subject,
                "time": time,
                "data": data,
                "aggseq": aggseq,
                "prevhash": found["ce_prevhash"],
                "eventhash": found["ce_eventhash"],
                "dataschema": found.get("ce_dataschema", ""),
                "traceparent": found.get("traceparent"),
                "tracestate": found.get("tracestate"),
                "extra_headers": (),
            },
        )
        try:
            # the value's own bytes first (the platform writes them canonical), then the data
            # re-serialised
            valid = (
                event_hash(
                    id_text,
                    envelope.source,
                    envelope.type,
                    subject,
                    time_text,
                    envelope.dataschema,
                    aggseq,
                    envelope.prevhash,
                    value,
                )
                == envelope.eventhash
                or envelope.hash_is_valid()
            )
        except (CanonicalizationError, UnicodeEncodeError) as exc:
            raise MalformedEvent(f"eventhash cannot be computed: {exc}") from exc
        if not valid:
            raise MalformedEvent("eventhash does not match the event's content")
        return envelope


_Parse = Callable[[bytes | None, bytes | None, Sequence[tuple[str, bytes]]], Envelope | None]


def _compiled_parse() -> _Parse:
    """``_record.parse``, set up with the types and functions it builds envelopes with."""
    from datapark_contracts import _record

    _record.configure(Envelope, uuid.UUID, _decode, hashlib.sha256, _SAFETY_UNKNOWN)
    return _record.parse


_parse_plain: _Parse | None
try:
    _parse_plain = _compiled_parse()
except ImportError:  # installed without a C compiler: from_kafka's Python code parses all
    _parse_plain = None
