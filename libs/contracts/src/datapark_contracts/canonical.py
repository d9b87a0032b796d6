"""Canonical JSON (RFC 8785, JCS) and the event hash chain.

Every event hash is computed over canonical JSON, and auditors and consumers recompute it for
every record they read, so this is on the hot path of replay and verification. Two paths give
the same bytes:

- the fast path serialises with the C encoder of the standard library (sorted keys, no spaces,
  UTF-8, only ``"``, ``\\`` and control characters escaped, in lower-case ``\\u00xx`` form) —
  exactly RFC 8785's output for strings, integers, booleans and null, as long as the document
  holds no float, no integer beyond JSON's safe range, and no object key outside the Basic
  Multilingual Plane (RFC 8785 sorts keys by UTF-16 code units, Python by code points; the two
  orders agree on the BMP);
- otherwise the value goes through ``rfc8785`` (pure Python, ECMAScript number formatting,
  UTF-16 key order), which also raises on what JCS cannot represent (NaN, infinities, unsafe
  integers, lone surrogates, non-string keys).

The guard is a scan of the fast path's own output: in compact JSON a number token always
stands between ``:``, ``,`` or ``[`` and ``,``, ``}`` or ``]``, so a float (fraction or
exponent) or a 16-digit integer cannot hide from it; a string that happens to contain such a
sequence only costs a detour through the slow path. Our payloads carry money as decimal
strings and no floats, so in practice every event takes the fast path. The tests in
``tests/unit/audit/test_audit_canonical.py`` compare both paths on generated documents and on
the RFC's own test vectors.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64

CanonicalizationError = rfc8785.CanonicalizationError

# A whole float token (fraction or exponent) or an integer of 16 digits or more (beyond
# 2**53 - 1 needs 16) between JSON separators, in compact JSON; or any character outside the
# BMP (possibly in a key).
_NEEDS_SLOW_PATH = re.compile(
    r"[:,\[]-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)[,}\]]"
    r"|[:,\[]-?[1-9][0-9]{15,}[,}\]]"
)
_NUMBER_START = frozenset("-0123456789")  # a bare number as the whole document
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_encode = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode


def _fast(value: Any) -> bytes | None:
    """The canonical bytes when the standard encoder provably produces them, else None."""
    try:
        text = _encode(value)
    except (TypeError, ValueError):
        return None
    if text[:1] in _NUMBER_START or _NEEDS_SLOW_PATH.search(text):
        return None
    if not text.isascii() and _ASTRAL.search(text):
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it with its own error
        return None


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (sorted keys, no spaces, UTF-8).

    Raises :class:`CanonicalizationError` for what JCS cannot represent.
    """
    fast = _fast(value)
    if fast is not None:
        return fast
    return rfc8785.dumps(value)


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
