"""Keyset cursors of the list endpoints: the cursor is the id of the last item of a page
(uuid7, time ordered), opaque on the wire (``datapark_kit.pagination``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from datapark_kit.errors import Unprocessable
from datapark_kit.pagination import decode_cursor, encode_cursor


class _HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


def position(cursor: str | None) -> uuid.UUID | None:
    """The id a cursor points after, or 422 when this API did not issue it."""
    decoded = decode_cursor(cursor)
    if decoded is None:
        return None
    try:
        return uuid.UUID(decoded)
    except ValueError:
        raise Unprocessable("cursor is not one this API issued", field="cursor") from None


def next_cursor(rows: Sequence[_HasId], limit: int) -> str | None:
    """``rows`` were fetched with ``limit + 1``: a cursor when a further page exists."""
    return encode_cursor(str(rows[limit - 1].id)) if len(rows) > limit else None
