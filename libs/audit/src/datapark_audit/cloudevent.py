"""CloudEvents 1.0 in Kafka binary content mode: a strict conformance check, written from the
specifications (CloudEvents 1.0 "Type System", "REQUIRED Attributes", "OPTIONAL Attributes",
"Naming Conventions"; Kafka Protocol Binding 1.0, section 3.2), fast enough for every record.

A record passes when:

- it is in binary mode: no ``content-type`` starting with ``application/cloudevents``;
- every header value is present and UTF-8 (the binding: keys and values are UTF-8 strings),
  the key too when there is one; no CloudEvents header appears twice;
- every ``ce_`` header names an attribute of lower-case ASCII letters and digits, never
  ``data``, written in lower case (as is ``content-type``);
- ``id``, ``source``, ``specversion`` and ``type`` are present and non-empty; ``specversion``
  is ``1.0``; ``subject``, ``dataschema`` and ``datacontenttype``, when present, are non-empty;
- every attribute value is a CloudEvents String: no control character (U+0000-U+001F,
  U+007F-U+009F) and no Unicode noncharacter (surrogates cannot occur in decoded UTF-8);
- ``source`` is a URI-reference and ``dataschema`` an absolute URI (RFC 3986, sections 4.1 and
  4.3: no fragment), ``datacontenttype`` a media type (RFC 2046: type/subtype and parameters);
- ``time``, when present, is an RFC 3339 date-time that is a real instant: month, day (leap
  years included), hour, minute, second and offset in range; a leap second (``:60``) is
  refused, as the official SDK's parser refuses it.

Everything this check accepts the official ``cloudevents`` SDK reads too (its own checks are
a subset: UTF-8 headers and key, a time it can parse, the required attributes non-empty,
``specversion`` 1.0, the optional ones non-empty, extension names of ``[a-z0-9]``); a unit test
holds the two side by side on every way a record can break. What depends only on the header
names is worked out once per distinct list of names (:class:`Layout`); what depends on values
that repeat (``source``, ``dataschema``, ``content-type``) once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from operator import itemgetter
from typing import Any, NamedTuple

import jsonschema_rs

from datapark_contracts.envelope import CANONICAL_TIME

CE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"
SPECVERSION = "1.0"
REQUIRED = ("id", "source", "specversion", "type")

# The attributes a reader of this module asks for, in this order (see Layout.pick).
FIELDS = (
    "id",
    "source",
    "specversion",
    "type",
    "datacontenttype",
    "dataschema",
    "subject",
    "time",
    "aggseq",
    "prevhash",
    "eventhash",
)

_ATTRIBUTE_NAME = re.compile(r"[a-z0-9]+")
# CloudEvents String: no control characters, no noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF)
_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
# printable ASCII but the quote and the backslash, and U+0000 (what read_binary joins the header
# values with): header values of these characters alone are CloudEvents Strings, and each one's
# JSON form is itself in quotes (see BinaryEvent.plain)
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\') + b"\x00"
_DISALLOWED = re.compile(f"[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef{_NONCHARACTERS}]")
# RFC 2045 token: any ASCII printable but SPACE and tspecials; RFC 2046 media type with parameters
_TOKEN = r"[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"(?:[^\"\\\r]|\\[\x00-\x7f])*\"))*"
)
# RFC 3339 section 5.6 (``T`` and ``Z`` in either case, section 5.6's note)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)

_URI = jsonschema_rs.validator_for({"type": "string", "format": "uri"}, validate_formats=True)
_URI_REFERENCE = jsonschema_rs.validator_for(
    {"type": "string", "format": "uri-reference"}, validate_formats=True
)


class NotACloudEvent(ValueError):
    """The record breaks CloudEvents 1.0 in Kafka binary mode; the message says how."""


def _check_source(value: str) -> str | None:
    if not _URI_REFERENCE.is_valid(value):
        return f"source {value!r} is not a URI-reference (RFC 3986)"
    return None


def _check_dataschema(value: str) -> str | None:
    if not _URI.is_valid(value) or "#" in value:
        return f"dataschema {value!r} is not an absolute URI (RFC 3986, section 4.3)"
    return None


def _check_content_type(value: str) -> str | None:
    if value.lower().startswith("application/cloudevents"):
        return f"content-type {value!r} is structured content mode, not binary"
    if not _MEDIA_TYPE.fullmatch(value):
        return f"datacontenttype {value!r} is not a media type (RFC 2046)"
    return None


def check_time(value: str) -> str | None:
    """None when ``value`` is an RFC 3339 date-time of a real instant, else the reason."""
    if CANONICAL_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)  # the ranges of month, day, hour, minute, second
            return None
        except ValueError:
            return f"time {value!r} is not a valid RFC 3339 date-time"
    found = _RFC3339.fullmatch(value)
    if found is None:
        return f"time {value!r} is not an RFC 3339 date-time"
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    try:
        offset = UTC
        if found.group(9):
            hours, minutes = int(found.group(10)), int(found.group(11))
            if hours > 23 or minutes > 59:
                raise ValueError("offset out of range")
            sign = -1 if found.group(9) == "-" else 1
            offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
        datetime(year, month, day, hour, minute, second, tzinfo=offset)
    except ValueError:
        return f"time {value!r} is not a valid RFC 3339 date-time"
    return None


def parse_time(value: str) -> datetime:
    """The instant of a time :func:`check_time` accepted (fractions beyond microseconds cut)."""
    found = _RFC3339.fullmatch(value)
    if found is None:
        raise NotACloudEvent(f"time {value!r} is not an RFC 3339 date-time")
    fraction = (found.group(7) or ".0")[1:7].ljust(6, "0")
    offset = UTC
    if found.group(9):
        sign = -1 if found.group(9) == "-" else 1
        offset = timezone(
            sign * timedelta(hours=int(found.group(10)), minutes=int(found.group(11)))
        )
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    return datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=offset)


def characters(values: Sequence[str]) -> str | None:
    """None when every value is a CloudEvents String, else the reason."""
    joined = "".join(values)
    if joined.isascii():  # then only a control character can be wrong
        if not joined.encode().translate(None, _PRINTABLE_ASCII):
            return None
    # printable excludes every control character, surrogate and unassigned code point (and
    # noncharacters are unassigned), so the search runs only on text that might hold one
    elif joined.isprintable():
        return None
    bad = _DISALLOWED.search(joined)
    if bad is None:
        return None
    return f"an attribute holds {bad.group()!r}, which a CloudEvents String must not contain"


@dataclass(frozen=True, slots=True)
class Layout:
    """What a record's header names alone say, worked out once per distinct list of names.

    ``pick`` takes the decoded header values (in the names' order, with one empty string
    appended) to the values of :data:`FIELDS` (an absent attribute reads as the empty string);
    ``free_text`` to the values of the attributes no stricter syntax check covers (``id``,
    ``type``, ``subject`` and the extensions), whose characters are checked.
    """

    names: tuple[str, ...]
    problem: str | None
    optional: tuple[bool, bool, bool, bool]  # datacontenttype, dataschema, subject, time present
    pick: Callable[[list[str]], tuple[str, ...]]
    free_text: Callable[[list[str]], tuple[str, ...]]


def _picker(positions: Sequence[int]) -> Callable[[list[str]], tuple[str, ...]]:
    getter = itemgetter(*positions)
    if len(positions) == 1:
        return lambda values: (getter(values),)
    return getter


# checked by a syntax that admits no control character or noncharacter
_SYNTAX_CHECKED = frozenset({"source", "specversion", "datacontenttype", "dataschema", "time"})


def _layout(names: tuple[str, ...]) -> Layout:
    attributes: dict[str, int] = {}
    problem = _duplicates(names) if len(set(names)) != len(names) else None
    for position, name in enumerate(names):
        if name == CONTENT_TYPE_HEADER:
            attributes["datacontenttype"] = position
            continue
        lowered = name.lower()
        if lowered == CONTENT_TYPE_HEADER:
            problem = problem or f"header {name!r} must be written {CONTENT_TYPE_HEADER!r}"
            continue
        if not lowered.startswith(CE_PREFIX):
            continue
        attribute = name[len(CE_PREFIX) :]
        if not name.startswith(CE_PREFIX) or not _ATTRIBUTE_NAME.fullmatch(attribute):
            problem = problem or (
                f"header {name!r}: an attribute name must be lower-case ASCII letters and "
                "digits after the ce_ prefix"
            )
        elif attribute == "data":
            problem = problem or "header 'ce_data': the attribute name 'data' is reserved"
        elif attribute == "datacontenttype":
            problem = problem or (
                "header 'ce_datacontenttype': in binary mode datacontenttype is the "
                "content-type header"
            )
        attributes[attribute] = position
    missing = [name for name in REQUIRED if name not in attributes]
    if missing and problem is None:
        problem = f"missing required attributes: {', '.join(missing)}"
    absent = len(names)  # the empty string appended after the values
    free = [p for name, p in attributes.items() if name not in _SYNTAX_CHECKED]
    return Layout(
        names=names,
        problem=problem,
        optional=(
            "datacontenttype" in attributes,
            "dataschema" in attributes,
            "subject" in attributes,
            "time" in attributes,
        ),
        pick=_picker([attributes.get(name, absent) for name in FIELDS]),
        free_text=_picker(sorted(free) or [absent]),
    )


_LAYOUTS: dict[tuple[str, ...], Layout] = {}


def layout_of(names: tuple[str, ...]) -> Layout:
    layout = _LAYOUTS.get(names)
    if layout is None:
        layout = _layout(names)
        if len(_LAYOUTS) < 1024:
            _LAYOUTS[names] = layout
    return layout


def _check_attributes(
    source: str, content_type: str, dataschema: str, has_type: bool, has_schema: bool
) -> str | None:
    problem = _check_source(source)
    if not problem and has_type:
        problem = _check_content_type(content_type) if content_type else "datacontenttype is empty"
    if not problem and has_schema:
        problem = _check_dataschema(dataschema) if dataschema else "dataschema is empty"
    return problem


# (source, content-type, dataschema, which present) -> the problem: a log holds a handful
_CHECKED: dict[tuple[str, str, str, bool, bool], str | None] = {}


class BinaryEvent(NamedTuple):
    """A record that passed: its headers, their layout and the values of :data:`FIELDS`;
    ``plain`` when every header value is printable ASCII other than a quote or a backslash (the
    common case, found by one scan over all of them: then the strings need no escaping in the
    canonical JSON an event hash covers)."""

    headers: Sequence[tuple[str, Any]]
    layout: Layout
    values: tuple[str, ...]
    plain: bool = False


def _duplicates(names: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        lowered = name.lower()
        if lowered.startswith(CE_PREFIX) or lowered == CONTENT_TYPE_HEADER:
            if lowered in seen:
                return f"header {name!r} appears more than once"
            seen.add(lowered)
    return None


def _undecodable(headers: dict[str, Any], key: bytes | None) -> str:
    for name, raw in headers.items():
        if raw is None:
            return f"header {name!r} has no value"
        try:
            raw.decode()
        except UnicodeDecodeError:
            return f"header {name!r} is not UTF-8"
    if key is not None:
        try:
            key.decode()
        except UnicodeDecodeError:
            return "the record key is not UTF-8"
    return "a header value holds U+0000, which a CloudEvents String must not contain"


def read_binary(headers: Sequence[tuple[str, Any]], key: bytes | None) -> BinaryEvent:
    """The record's CloudEvents attributes; :class:`NotACloudEvent` when it breaks the rules."""
    try:
        names, raw = zip(*headers, strict=True)
    except ValueError:  # no header at all
        names, raw = (), ()
    # what the names say (a CloudEvents header twice included) is worked out once per layout
    layout = _LAYOUTS.get(names) or layout_of(names)
    if layout.problem:
        raise NotACloudEvent(layout.problem)
    try:
        # one decode for every value (each is UTF-8 exactly when the joined bytes are: U+0000
        # is one byte, no sequence spans it), split back; a value holding U+0000 shows as a
        # count that does not add up
        joined = b"\x00".join(raw)
        plain = not joined.translate(None, _PLAIN)
        values = joined.decode().split("\x00")
        if key is not None:
            key.decode()
    except (UnicodeDecodeError, TypeError):
        raise NotACloudEvent(_undecodable(dict(headers), key)) from None
    if len(values) != len(raw):
        raise NotACloudEvent(_undecodable(dict(headers), key))
    values.append("")
    picked = layout.pick(values)
    event_id, source, specversion, event_type, content_type, dataschema, subject, time = picked[:8]
    if specversion != SPECVERSION or not (event_id and source and event_type):
        empty = [name for name, value in zip(REQUIRED, picked[:4], strict=True) if not value]
        raise NotACloudEvent(
            f"required attributes empty: {', '.join(empty)}"
            if empty
            else f"specversion {specversion!r} is not {SPECVERSION!r}"
        )
    has_type, has_schema, has_subject, has_time = layout.optional
    checked = (source, content_type, dataschema, has_type, has_schema)
    try:
        problem = _CHECKED[checked]
    except KeyError:
        problem = _check_attributes(*checked)
        if len(_CHECKED) < 4096:
            _CHECKED[checked] = problem
    if problem is None and has_subject and not subject:
        problem = "subject is empty"
    if problem is None and has_time:
        problem = check_time(time)
    if problem is None and not plain:  # plain values hold no control character
        problem = characters(layout.free_text(values))
    if problem:
        raise NotACloudEvent(problem)
    return BinaryEvent(headers, layout, picked, plain)
