"""Search over what is on offer: data product listings and rental offerings.

Pure parts: the filter (validated once, at the edge) and the opaque cursor. Results are ordered
newest first by ``(published_at, id)``; the cursor carries the last item's pair so the next
page starts strictly after it (keyset pagination: stable under inserts, no OFFSET scans).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from datapark_catalog.terms.money import parse_money
from datapark_contracts.events.catalog_listings import DataDomain, RobotCategory
from datapark_kit.errors import Unprocessable

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TEXT = 200


class ListingKind(StrEnum):
    DATA_PRODUCT = "data_product"
    RENTAL_OFFERING = "rental_offering"


@dataclass(frozen=True)
class SearchFilter:
    kind: ListingKind | None = None
    domain: DataDomain | None = None
    venue: str | None = None
    category: RobotCategory | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    text: str | None = None
    limit: int = DEFAULT_LIMIT


def validate_filter(f: SearchFilter) -> SearchFilter:
    """Normalise a filter; contradictory or malformed filters are a 422 naming the field."""
    if not 1 <= f.limit <= MAX_LIMIT:
        raise Unprocessable(f"limit is 1 to {MAX_LIMIT}", field="limit")
    low = parse_money(f.min_price, "min_price") if f.min_price is not None else None
    high = parse_money(f.max_price, "max_price") if f.max_price is not None else None
    if low is not None and high is not None and low > high:
        raise Unprocessable("min_price is above max_price", field="min_price")
    if f.kind is ListingKind.DATA_PRODUCT and f.category is not None:
        raise Unprocessable("category applies to rental offerings", field="category")
    if f.kind is ListingKind.RENTAL_OFFERING and (f.domain is not None or f.venue is not None):
        field = "domain" if f.domain is not None else "venue"
        raise Unprocessable(f"{field} applies to data products", field=field)
    text = f.text.strip() if f.text is not None else None
    if text is not None and len(text) > MAX_TEXT:
        raise Unprocessable(f"text is at most {MAX_TEXT} characters", field="text")
    venue = f.venue.strip().upper() if f.venue else None
    return SearchFilter(f.kind, f.domain, venue, f.category, low, high, text or None, f.limit)


@dataclass(frozen=True)
class Cursor:
    """The position after the last item returned."""

    published_at: datetime
    item_id: UUID


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps(
        {"t": cursor.published_at.isoformat(), "id": str(cursor.item_id)}, separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    """Parse a cursor we issued; anything else is a 422 on ``cursor``."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        published_at = datetime.fromisoformat(data["t"])
        item_id = UUID(data["id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Unprocessable("the cursor is not one we issued", field="cursor") from None
    if published_at.tzinfo is None:
        raise Unprocessable("the cursor is not one we issued", field="cursor")
    return Cursor(published_at, item_id)
