"""Canonical JSON (RFC 8785, JCS) and the event hash chain.

Every event hash is computed over canonical JSON, and auditors and consumers recompute it for
every record they read, so this is on the hot path of replay and verification. Two paths give
the same bytes:

- the fast path serialises with the C encoder of the standard library (sorted keys, no spaces,
  UTF-8, only ``"``, ``\\`` and control characters escaped, in lower-case ``\\u00xx`` form) —
  exactly RFC 8785's output for strings, integers, booleans and null. It is taken only when a
  walk over the value finds nothing else: only ``dict`` (with ``str`` keys inside the Basic
  Multilingual Plane: RFC 8785 sorts keys by UTF-16 code units, Python by code points, and the
  two orders agree on the BMP), ``list``, ``tuple``, ``str``, ``bool``, ``None`` and ``int``
  within JSON's safe range (±(2**53 - 1));
- anything else — a float (ECMAScript number formatting), an unsafe integer, a key beyond the
  BMP, a lone surrogate, a non-string key, another type — goes through ``rfc8785`` (pure
  Python), which formats or refuses it as JCS does.

Our payloads carry money and rates as decimal strings and no floats, so every event the
platform writes takes the fast path. The tests in ``tests/unit/audit/test_audit_canonical.py``
compare both paths on the RFC's own test vectors and on generated documents.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from typing import Any

import msgspec
import rfc8785

GENESIS_HASH = "0" * 64

CanonicalizationError = rfc8785.CanonicalizationError

_SAFE = 2**53 - 1
_ASTRAL = "\U00010000"
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def _plain(value: Any) -> bool:
    """Whether the standard encoder's output of ``value`` is its RFC 8785 form."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_SAFE <= value <= _SAFE)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key, default="") < _ASTRAL):
                return False
            item_kind = type(item)
            if item_kind is str or item is None or item_kind is bool:
                continue
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            item_kind = type(item)
            if item_kind is str or item is None or item_kind is bool:
                continue
            if not _plain(item):
                return False
        return True
    return False


def _fast(value: Any) -> bytes | None:
    """The canonical bytes when the standard encoder provably produces them, else None."""
    try:
        if not _plain(value):
            return None
        return _encode(value).encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        # circular or too deep, or a lone surrogate: rfc8785 gives its own answer
        return None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (sorted keys, no spaces, UTF-8).

    Raises :class:`CanonicalizationError` for what JCS cannot represent.
    """
    fast = _fast(value)
    if fast is not None:
        return fast
    return rfc8785.dumps(value)


# the keys of a flat object, as given -> its members' prefixes ('"key":') in canonical order
_KEY_ORDERS: dict[tuple[Any, ...], list[tuple[str, str]] | None] = {}


def _key_order(keys: tuple[Any, ...]) -> list[tuple[str, str]] | None:
    order = _KEY_ORDERS.get(keys)
    if order is None and keys not in _KEY_ORDERS:
        valid = all(
            type(key) is str and (key.isascii() or max(key, default="") < _ASTRAL) for key in keys
        )
        order = [(key, encode_basestring(key) + ":") for key in sorted(keys)] if valid else None
        if len(_KEY_ORDERS) < 256:  # event attributes come in a handful of key sets
            _KEY_ORDERS[keys] = order
    return order


def _flat(value: dict[str, Any]) -> bytes | None:
    """The canonical bytes of a flat object of strings and safe integers (event attributes),
    written directly; None for anything else. The same bytes as :func:`_fast`: keys sorted,
    strings escaped by the standard library's C string encoder, integers in decimal."""
    order = _key_order(tuple(value))
    if order is None:
        return None
    parts = []
    for key, prefix in order:
        item = value[key]
        kind = type(item)
        if kind is str:
            parts.append(prefix + encode_basestring(item))
        elif kind is int and -_SAFE <= item <= _SAFE:
            parts.append(prefix + str(item))
        else:
            return None
    try:
        return ("{" + ",".join(parts) + "}").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: rfc8785 gives its own answer
        return None


def canonical_attributes(attributes: dict[str, Any]) -> bytes:
    """:func:`canonical_json` of a flat object (an event's attributes), a little faster."""
    flat = _flat(attributes)
    return flat if flat is not None else canonical_json(attributes)


def canonical_json_reference(value: Any) -> bytes:
    """The slow, general implementation alone (for tests and benchmarks)."""
    return rfc8785.dumps(value)


def chain_hash(prevhash: str, attributes: dict[str, Any], data: Any) -> str:
    """sha256 over ``prevhash`` followed by the canonical JSON of the other attributes and data.

    ``attributes`` must not contain ``eventhash`` itself; ``prevhash`` is part of the digest
    input twice (as prefix and attribute) so that reordering two events breaks the chain.
    """
    body = canonical_json({"attributes": attributes, "data": data})
    return hashlib.sha256(prevhash.encode("ascii") + body).hexdigest()


def chain_hash_of_json(prevhash: str, attributes: dict[str, Any], data_json: bytes) -> str:
    """:func:`chain_hash` with the data given as JSON bytes, not re-serialised.

    The platform writes each record's value as the canonical JSON of its data, so a reader can
    hash the bytes it received: the result equals the record's ``eventhash`` exactly when those
    bytes are the canonical JSON that was hashed when the event was written (sha256 being
    collision-resistant). Anything else (a value written in another form, an altered one) needs
    :func:`chain_hash` over the parsed data to tell which.
    """
    return chain_hash_of_canonical(prevhash, canonical_attributes(attributes), data_json)


def chain_hash_of_canonical(prevhash: str, attributes_json: bytes, data_json: bytes) -> str:
    """:func:`chain_hash` from the canonical JSON of the attributes and the data's JSON bytes."""
    digest = hashlib.sha256(prevhash.encode("ascii"))
    digest.update(b'{"attributes":' + attributes_json + b',"data":')
    digest.update(data_json)  # not copied into one body: values run to kilobytes
    digest.update(b"}")
    return digest.hexdigest()


# one decoder for every read: msgspec decodes integers of any length exactly, as the standard
# library does (orjson, used before, turned one beyond 64 bits into a float, which took a scan
# of every value for long digit runs: 3 µs of a 6 KB lease's read)
_decode = msgspec.json.Decoder().decode


def loads_json(body: bytes) -> Any:
    """Exactly ``json.loads(body.decode("utf-8"))`` (same values, same errors), faster.

    msgspec decodes; the standard library decides whatever msgspec refuses, which includes
    everything the standard library accepts beyond RFC 8259 (``NaN``, ``Infinity``, numbers out
    of a double's range, lone surrogates) and nesting deeper than msgspec's limit, so the values
    and the errors are the standard library's. ``tests/unit/audit/test_audit_fast_decode.py``
    holds it to that on edge cases and generated documents.
    Raises :class:`ValueError` (``json.JSONDecodeError``) or :class:`UnicodeDecodeError`.
    """
    try:
        return _decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return json.loads(body.decode("utf-8"))
