"""What building rental's booking page costs in the API process, beside baselines in the same
run (issue #14): ``GET /v1/bookings`` answers a page of 50 ``BookingOut`` made from ORM rows, and
a profile put about a third of a list request's CPU there.

In-process, no database, no HTTP: 50 ``Booking`` rows (two price lines each, every money column
set) are turned into the response body exactly as the endpoint and FastAPI do it: the
endpoint's ``BookingPage(items=[BookingOut.of(row) ...])``, then FastAPI's
serialisation of the route's own response field (``serialize_response``: validation of the
returned value, then ``dump_json``). Beside it, in the same run:

- ``per-field Money``: the design before this benchmark (kept here as ``BookingOut`` with its
  amounts typed as they were): every amount a ``Money`` model, each built by a before-validator
  from the row's ``Decimal`` and validated again (strict string check, two places) per field;
- ``hand-written``: the same JSON written by a dict comprehension and ``json.dumps`` (what the
  wire needs, with no model at all).

All three bodies are checked to be the same JSON before timing. Prints the median time per page
and per booking. Run: ``uv run python bench/booking_page_build.py [--pages N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi.routing import APIRoute, serialize_response
from pydantic import BaseModel, BeforeValidator

from datapark_contracts.money import Money, to_fen
from datapark_rental.bookings.endpoints import router
from datapark_rental.bookings.models import Booking
from datapark_rental.bookings.pricing import RateUnit
from datapark_rental.bookings.schemas import BookingOut, BookingPage

PAGE = 50


def _rows(n: int) -> list[Booking]:
    start = datetime(2026, 12, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        begin = start + timedelta(hours=i)
        rows.append(
            Booking(
                id=uuid.uuid4(),
                offering_id=uuid.uuid4(),
                customer_participant_id=uuid.uuid4(),
                lessor_participant_id=uuid.uuid4(),
                mode="short_term",
                category="excavator",
                kit_id=None if i % 2 else uuid.uuid4(),
                unit_ids=[uuid.uuid4(), uuid.uuid4()],
                start=begin,
                end=begin + timedelta(days=2, hours=3),
                reserved_from=begin - timedelta(hours=1),
                reserved_until=begin + timedelta(days=2, hours=4),
                status="confirmed",
                overdue=False,
                expires_at=begin - timedelta(days=1),
                price_lines=[
                    {"unit": "day", "quantity": 2, "unit_price": "1200.00", "amount": "2400.00"},
                    {"unit": "hour", "quantity": 3, "unit_price": "80.00", "amount": "240.00"},
                ],
                rental_price=Decimal("2640.00"),
                deposit=Decimal("5000.00"),
                late_fee=Decimal("0.00"),
                damage_charges=Decimal(i),
                cancellation_fee=Decimal("0.00"),
                deposit_refund=Decimal("4650.00"),
                balance_due=Decimal("0.00"),
                checked_out_at=begin + timedelta(minutes=4),
                returned_at=None,
                version=1,
                created_at=begin - timedelta(days=2),
                updated_at=begin - timedelta(days=1),
            )
        )
    return rows


# ------------------------------------------------------- the previous design, as a baseline


def _as_money(value: Any) -> Any:
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal):
        return {"amount": to_fen(value), "currency": "CNY"}
    return value


_PerFieldMoney = Annotated[Money, BeforeValidator(_as_money)]


class _PerFieldLine(BaseModel):
    unit: RateUnit
    quantity: int
    unit_price: _PerFieldMoney
    amount: _PerFieldMoney


class _PerFieldBooking(BookingOut):
    """``BookingOut`` (from_attributes, the same fields in the same order) with its amounts
    typed as they were before: only what the two designs differ in is spelled out here."""

    price_lines: list[_PerFieldLine]  # type: ignore[assignment]
    rental_price: _PerFieldMoney  # type: ignore[assignment]
    deposit: _PerFieldMoney  # type: ignore[assignment]
    late_fee: _PerFieldMoney  # type: ignore[assignment]
    damage_charges: _PerFieldMoney  # type: ignore[assignment]
    cancellation_fee: _PerFieldMoney  # type: ignore[assignment]
    deposit_refund: _PerFieldMoney  # type: ignore[assignment]
    balance_due: _PerFieldMoney  # type: ignore[assignment]


class _PerFieldPage(BaseModel):
    items: list[_PerFieldBooking]
    next_cursor: str | None


# ---------------------------------------------------------------------------- the builders


def _list_route() -> APIRoute:
    for route in router.routes:
        if (
            isinstance(route, APIRoute)
            and route.path == "/v1/bookings"
            and "GET" in (route.methods or ())
        ):
            return route
    raise LookupError("GET /v1/bookings")


def datapark(rows: list[Booking]) -> bytes:
    """The endpoint's body, then FastAPI's serialisation of the route's response field."""
    route = _list_route()
    page = BookingPage(items=[BookingOut.of(b) for b in rows], next_cursor="c")
    step = serialize_response(field=route.response_field, response_content=page, dump_json=True)
    try:
        step.send(None)  # nothing in it awaits: it finishes at the first step, no event loop
    except StopIteration as done:
        body: bytes = done.value
        return body
    raise RuntimeError("serialize_response awaited something")


def _per_field(rows: list[Booking]) -> bytes:
    page = _PerFieldPage(items=[_PerFieldBooking.model_validate(b) for b in rows], next_cursor="c")
    return page.model_dump_json().encode()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _money(value: Decimal | str) -> dict[str, str]:
    return {"amount": f"{Decimal(value):.2f}", "currency": "CNY"}


def _hand_written(rows: list[Booking]) -> bytes:
    items = [
        {
            "id": str(b.id),
            "offering_id": str(b.offering_id),
            "customer_participant_id": str(b.customer_participant_id),
            "lessor_participant_id": str(b.lessor_participant_id),
            "mode": b.mode,
            "kit_id": None if b.kit_id is None else str(b.kit_id),
            "unit_ids": [str(u) for u in b.unit_ids],
            "start": _iso(b.start),
            "end": _iso(b.end),
            "reserved_from": _iso(b.reserved_from),
            "reserved_until": _iso(b.reserved_until),
            "status": b.status,
            "overdue": b.overdue,
            "expires_at": _iso(b.expires_at),
            "price_lines": [
                {
                    "unit": ln["unit"],
                    "quantity": ln["quantity"],
                    "unit_price": _money(ln["unit_price"]),
                    "amount": _money(ln["amount"]),
                }
                for ln in b.price_lines
            ],
            "rental_price": _money(b.rental_price),
            "deposit": _money(b.deposit),
            "late_fee": _money(b.late_fee),
            "damage_charges": _money(b.damage_charges),
            "cancellation_fee": _money(b.cancellation_fee),
            "deposit_refund": _money(b.deposit_refund),
            "balance_due": _money(b.balance_due),
            "checked_out_at": _iso(b.checked_out_at),
            "returned_at": _iso(b.returned_at),
            "created_at": _iso(b.created_at),
            "updated_at": _iso(b.updated_at),
        }
        for b in rows
    ]
    return json.dumps({"items": items, "next_cursor": "c"}, separators=(",", ":")).encode()


def _median_ms(build: Callable[[list[Booking]], bytes], rows: list[Booking], pages: int) -> float:
    build(rows)  # warm up (schema caches, route lookup)
    times = []
    for _ in range(pages):
        began = time.perf_counter()
        build(rows)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="pages timed per builder")
    args = parser.parse_args()
    rows = _rows(PAGE)
    builders: dict[str, Callable[[list[Booking]], bytes]] = {
        "datapark (BookingOut + FastAPI)": datapark,
        "per-field Money (previous design)": _per_field,
        "hand-written dicts + json.dumps": _hand_written,
    }
    bodies = {name: json.loads(build(rows)) for name, build in builders.items()}
    reference = bodies["hand-written dicts + json.dumps"]
    for name, body in bodies.items():
        if body != reference:
            raise SystemExit(f"{name}: body differs from the hand-written one")
    figures = {name: _median_ms(build, rows, args.pages) for name, build in builders.items()}
    ours = figures["datapark (BookingOut + FastAPI)"]
    print(f"building a page of {PAGE} bookings, median of {args.pages} pages")
    print(f"{'builder':<36} {'ms/page':>8} {'µs/booking':>11} {'× datapark':>11}")
    for name, ms in figures.items():
        print(f"{name:<36} {ms:>8.3f} {ms * 1000 / PAGE:>11.1f} {ms / ours:>11.2f}")


if __name__ == "__main__":
    main()
