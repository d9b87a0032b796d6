"""Keyset pages over uuid7 ids (time ordered): ``limit``/``cursor`` → ``items``/``next_cursor``.

The cursor is the opaque form of the last id a page returned; the next page starts after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from datapark_kit.errors import Unprocessable
from datapark_kit.pagination import decode_cursor, encode_cursor

T = TypeVar("T")


def after_id(cursor: str | None) -> uuid.UUID | None:
    """The id a cursor points after (``None`` for the first page); 422 for a foreign cursor."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return uuid.UUID(position)
    except ValueError:
        raise Unprocessable("cursor is not one this API issued", field="cursor") from None


def page_of(
    rows: Sequence[T], limit: int, key: Callable[[T], uuid.UUID]
) -> tuple[list[T], str | None]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and its next cursor, if any."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(str(key(items[-1]))) if len(rows) > limit else None
    return items, next_cursor
