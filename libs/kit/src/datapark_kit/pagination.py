"""Opaque cursors for ``limit``/``cursor`` → ``items``/``next_cursor`` pagination."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from datapark_kit.errors import Unprocessable

T = TypeVar("T")


def encode_cursor(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        # A cursor outside base64's ASCII alphabet raises ValueError before binascii.Error.
        position = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unprocessable("cursor is not one this API issued", field="cursor") from None
    if "\x00" in position:
        raise Unprocessable("cursor is not one this API issued", field="cursor")
    return position


def cursor_id(cursor: str | None) -> uuid.UUID | None:
    """The id a keyset cursor points past (``None`` for the first page); 422 for a cursor this
    API did not issue. Ids are UUIDv7, so their order is creation order."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return uuid.UUID(position)
    except ValueError:
        raise Unprocessable("cursor is not one this API issued", field="cursor") from None


def keyset_page(
    rows: Sequence[T], limit: int, key: Callable[[T], uuid.UUID]
) -> tuple[list[T], str | None]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and the cursor of the next one."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return items, encode_cursor(str(key(items[-1]))) if more else None
