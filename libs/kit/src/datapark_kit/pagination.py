"""Opaque cursors for ``limit``/``cursor`` → ``items``/``next_cursor`` pagination."""

from __future__ import annotations

import base64
import binascii

from datapark_kit.errors import Unprocessable


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
