"""Canonical JSON (RFC 8785, JCS) and the event hash chain."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical bytes of a JSON value (sorted keys, no spaces, UTF-8)."""
    return rfc8785.dumps(value)


def chain_hash(prevhash: str, attributes: dict[str, Any], data: Any) -> str:
    """sha256 over ``prevhash`` followed by the canonical JSON of the other attributes and data.

    ``attributes`` must not contain ``eventhash`` itself; ``prevhash`` is part of the digest
    input twice (as prefix and attribute) so that reordering two events breaks the chain.
    """
    body = canonical_json({"attributes": attributes, "data": data})
    return hashlib.sha256(prevhash.encode("ascii") + body).hexdigest()
