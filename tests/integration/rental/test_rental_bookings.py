"""Bookings on the real Postgres: no double booking under concurrency, kits all-or-nothing,
maintenance blocks, holds expire by themselves, and the whole path from hold to close."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration.rental.rental_park import Park, cny, hour_floor
from support.helpers import eventually

pytestmark = pytest.mark.integration


def period(start: datetime, hours: float) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


async def lessor_with_unit(
    park: Park, **offering: Any
) -> tuple[dict[str, str], uuid.UUID, uuid.UUID]:
    _, lessor = await park.company()
    unit_id = await park.unit(lessor)
    return lessor, unit_id, await park.offering(lessor, unit_id=unit_id, **offering)


async def test_fifty_concurrent_overlapping_bookings_leave_exactly_one_hold(rental, park) -> None:
    _, unit_id, offering_id = await lessor_with_unit(park)
    customers = [(await park.company())[1] for _ in range(2)]
    base = hour_floor(datetime.now(UTC)) + timedelta(days=10)

    responses = await asyncio.gather(
        *(
            rental.post(
                "/v1/bookings",
                headers=customers[i % 2],
                json={"offering_id": str(offering_id), **period(base + timedelta(minutes=i), 3)},
            )
            for i in range(50)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49, [r.text for r in responses if r.status_code >= 500]
    for refused in (r for r in responses if r.status_code == 409):
        problem = refused.json()
        assert problem["code"] == "booking_conflict"
        assert set(problem["conflicting_period"]) == {"start", "end"}
        assert "customer" not in refused.text
        assert "participant" not in refused.text
    held = await park.sql(
        "SELECT count(*) FROM rental.unit_reservations WHERE unit_id = :u "
        "AND status IN ('held', 'confirmed', 'checked_out', 'returned')",
        u=unit_id,
    )
    assert held[0][0] == 1
    bookings = await park.sql(
        "SELECT count(*) FROM rental.bookings WHERE offering_id = :o", o=offering_id
    )
    assert bookings[0][0] == 1


async def test_a_kit_with_one_unit_taken_cannot_be_booked_and_holds_nothing(rental, park) -> None:
    _, lessor = await park.company()
    units = [await park.unit(lessor) for _ in range(3)]
    single = await park.offering(lessor, unit_id=units[1])
    kit = await park.offering(lessor, kit_id=await park.kit(lessor, units))
    _, customer = await park.company()
    base = hour_floor(datetime.now(UTC)) + timedelta(days=20)

    taken = await rental.post(
        "/v1/bookings", headers=customer, json={"offering_id": str(single), **period(base, 4)}
    )
    assert taken.status_code == 201, taken.text
    refused = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={"offering_id": str(kit), **period(base + timedelta(hours=2), 4)},
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "booking_conflict"
    rows = await park.sql(
        "SELECT unit_id FROM rental.unit_reservations WHERE unit_id = ANY(:u)", u=units
    )
    assert [row[0] for row in rows] == [units[1]]  # only the single unit's own hold

    elsewhere = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={"offering_id": str(kit), **period(base + timedelta(days=2), 4)},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    assert sorted(elsewhere.json()["unit_ids"]) == sorted(str(u) for u in units)
    assert elsewhere.json()["mode"] == "robot_container"


async def test_a_hold_expires_by_itself_and_frees_the_unit(rental, park) -> None:
    _, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    when = period(hour_floor(datetime.now(UTC)) + timedelta(days=5), 2)
    held = await rental.post(
        "/v1/bookings", headers=customer, json={"offering_id": str(offering_id), **when}
    )
    assert held.status_code == 201
    booking_id = held.json()["id"]
    await park.sql(
        "UPDATE rental.bookings SET expires_at = now() - interval '1 second' WHERE id = :b",
        b=uuid.UUID(booking_id),
    )

    async def expired() -> bool:
        got = await rental.get(f"/v1/bookings/{booking_id}", headers=customer)
        return bool(got.json()["status"] == "expired")

    await eventually(expired, timeout=20)
    late = await rental.post(f"/v1/bookings/{booking_id}/confirm", headers=customer)
    assert late.status_code == 409
    again = await rental.post(
        "/v1/bookings", headers=customer, json={"offering_id": str(offering_id), **when}
    )
    assert again.status_code == 201, again.text
    facts = await park.sql(
        "SELECT event_type FROM rental.outbox WHERE subject = :s ORDER BY aggseq", s=booking_id
    )
    assert [f[0] for f in facts] == [
        "datapark.rental.booking.held.v1",
        "datapark.rental.booking.expired.v1",
    ]


async def test_a_lapsed_hold_over_the_period_gives_way_to_a_new_hold(rental, park) -> None:
    """The new hold clashes with a hold past its TTL that no sweep has expired yet: that hold
    is expired in the new hold's transaction (its fact published) and the new one is held."""
    _, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    when = period(hour_floor(datetime.now(UTC)) + timedelta(days=6), 3)
    held = await rental.post(
        "/v1/bookings", headers=customer, json={"offering_id": str(offering_id), **when}
    )
    assert held.status_code == 201
    lapsed = uuid.UUID(held.json()["id"])
    await park.sql(
        "UPDATE rental.bookings SET expires_at = now() - interval '1 second' WHERE id = :b",
        b=lapsed,
    )
    again = await rental.post(
        "/v1/bookings", headers=customer, json={"offering_id": str(offering_id), **when}
    )
    assert again.status_code == 201, again.text
    got = await rental.get(f"/v1/bookings/{lapsed}", headers=customer)
    assert got.json()["status"] == "expired"
    facts = await park.sql(
        "SELECT event_type FROM rental.outbox WHERE subject = :s ORDER BY aggseq", s=str(lapsed)
    )
    assert [f[0] for f in facts][-1] == "datapark.rental.booking.expired.v1"


async def test_a_unit_in_maintenance_cannot_be_booked(rental, park) -> None:
    lessor, unit_id, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    start = hour_floor(datetime.now(UTC)) + timedelta(days=30)
    await park.maintenance(lessor, unit_id, start, start + timedelta(days=1))

    refused = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={"offering_id": str(offering_id), **period(start + timedelta(hours=3), 2)},
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "unit_in_maintenance"
    availability = await rental.get(
        "/v1/availability",
        headers=customer,
        params={
            "offering_id": str(offering_id),
            "start": (start - timedelta(days=1)).isoformat(),
            "end": (start + timedelta(days=2)).isoformat(),
        },
    )
    free = availability.json()["free"]
    assert len(free) == 2
    # a booking must end 60 minutes (turnaround after) before the window …
    assert datetime.fromisoformat(free[0]["end"]) == start - timedelta(minutes=60)
    # … and may start 30 minutes (turnaround before) after it
    assert datetime.fromisoformat(free[1]["start"]) == start + timedelta(days=1, minutes=30)


@pytest.mark.parametrize(
    ("shift_hours", "length_hours", "field"),
    [(24, 0, "end"), (24, -1, "end"), (-1, 2, "start"), (24, 24 * 91, "end"), (24, 0.5, "end")],
)
async def test_bad_periods_are_refused_naming_the_field(
    rental, park, shift_hours: float, length_hours: float, field: str
) -> None:
    _, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    start = datetime.now(UTC) + timedelta(hours=shift_hours)

    refused = await rental.post(
        "/v1/bookings",
        headers=customer,
        json={"offering_id": str(offering_id), **period(start, length_hours)},
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field


async def test_quote_is_the_best_price_itemised(rental, park) -> None:
    _, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    start = hour_floor(datetime.now(UTC)) + timedelta(days=3)

    quoted = await rental.post(
        "/v1/quotes",
        headers=customer,
        json={"offering_id": str(offering_id), **period(start, 24 * 6 + 2)},
    )

    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    # 6 days + 2 h: a week (9,000) beats 6 days + 2 h (12,200)
    assert body["lines"] == [
        {"unit": "week", "quantity": 1, "unit_price": cny("9000.00"), "amount": cny("9000.00")}
    ]
    assert (body["rental"], body["deposit"], body["total"]) == (
        cny("9000.00"),
        cny("5000.00"),
        cny("14000.00"),
    )
    assert body["billable_seconds"] == (24 * 6 + 2) * 3600
    assert datetime.fromisoformat(body["reserved_from"]) == start - timedelta(minutes=30)


async def test_from_hold_to_close_with_late_fee_and_deposit_settlement(rental, park) -> None:
    lessor, _, offering_id = await lessor_with_unit(park, late_fee_per_hour=cny("300.00"))
    _, customer = await park.company()
    start = datetime.now(UTC) + timedelta(minutes=5)  # check-out opens 30 minutes before

    booking = (
        await rental.post(
            "/v1/bookings",
            headers=customer,
            json={"offering_id": str(offering_id), **period(start, 2)},
        )
    ).json()
    path = f"/v1/bookings/{booking['id']}"
    assert (await rental.post(f"{path}/check-out", headers=lessor)).status_code == 409
    assert (await rental.post(f"{path}/confirm", headers=lessor)).status_code == 403
    assert (await rental.post(f"{path}/confirm", headers=customer)).json()["status"] == "confirmed"
    assert (await rental.post(f"{path}/check-out", headers=customer)).status_code == 403
    checked_out = await rental.post(f"{path}/check-out", headers=lessor)
    assert checked_out.json()["status"] == "checked_out"
    assert (await rental.post(f"{path}/cancel", headers=customer)).status_code == 409

    # three hours late: the end moves into the past so the return is late
    await park.sql(
        "UPDATE rental.bookings SET reserved_from = now() - interval '6 hours', "
        "start = now() - interval '5 hours', "
        "\"end\" = now() - interval '3 hours' WHERE id = :b",
        b=uuid.UUID(booking["id"]),
    )
    returned = (await rental.post(f"{path}/return", headers=lessor)).json()
    assert returned["status"] == "returned"
    assert returned["late_fee"] == cny("900.00")  # 3 h (grace 30 min) x 300
    for refused, field in (
        ({"damage_charges": "1200.50"}, "damage_charges"),
        ({"damage_charges": {"amount": 1200.5, "currency": "CNY"}}, "damage_charges.amount"),
    ):
        bad = await rental.post(f"{path}/inspect", headers=lessor, json=refused)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, field)
    inspected = (
        await rental.post(
            f"{path}/inspect", headers=lessor, json={"damage_charges": cny("1200.50")}
        )
    ).json()
    assert (inspected["deposit_refund"], inspected["balance_due"]) == (
        cny("2899.50"),
        cny("0.00"),
    )
    closed = (await rental.post(f"{path}/close", headers=lessor)).json()
    assert closed["status"] == "closed"
    facts = await park.sql(
        "SELECT event_type FROM rental.outbox WHERE subject = :s ORDER BY aggseq", s=booking["id"]
    )
    assert [f[0].split(".")[3] for f in facts] == [
        "held",
        "confirmed",
        "checked_out",
        "returned",
        "inspected",
        "closed",
    ]


async def test_cancellation_fee_and_extension(rental, park) -> None:
    _, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    _, other = await park.company()
    start = hour_floor(datetime.now(UTC)) + timedelta(hours=6)
    first = (
        await rental.post(
            "/v1/bookings",
            headers=customer,
            json={"offering_id": str(offering_id), **period(start, 20)},
        )
    ).json()
    assert first["rental_price"] == cny("2000.00")  # 20 h: a day beats 20 hours
    next_one = await rental.post(
        "/v1/bookings",
        headers=other,
        json={"offering_id": str(offering_id), **period(start + timedelta(hours=30), 2)},
    )
    assert next_one.status_code == 201

    longer = await rental.post(
        f"/v1/bookings/{first['id']}/extend",
        headers=customer,
        json={"end": (start + timedelta(hours=25)).isoformat()},
    )
    assert longer.status_code == 200, longer.text
    assert longer.json()["rental_price"] == cny("2100.00")  # a day and an hour
    blocked = await rental.post(
        f"/v1/bookings/{first['id']}/extend",
        headers=customer,
        json={"end": (start + timedelta(hours=30)).isoformat()},
    )
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "booking_conflict"

    assert (
        await rental.post(f"/v1/bookings/{first['id']}/confirm", headers=customer)
    ).status_code == 200
    cancelled = (await rental.post(f"/v1/bookings/{first['id']}/cancel", headers=customer)).json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancellation_fee"] == cny("1050.00")  # under 24 h notice: 50 % of 2,100
    hidden = await rental.get(f"/v1/bookings/{first['id']}", headers=other)
    assert hidden.status_code == 404


async def test_a_checked_out_booking_past_its_end_is_flagged_overdue(rental, park) -> None:
    lessor, _, offering_id = await lessor_with_unit(park)
    _, customer = await park.company()
    booking = (
        await rental.post(
            "/v1/bookings",
            headers=customer,
            json={
                "offering_id": str(offering_id),
                **period(datetime.now(UTC) + timedelta(minutes=5), 2),
            },
        )
    ).json()
    path = f"/v1/bookings/{booking['id']}"
    await rental.post(f"{path}/confirm", headers=customer)
    assert (await rental.post(f"{path}/check-out", headers=lessor)).status_code == 200
    await park.sql(
        "UPDATE rental.bookings SET reserved_from = now() - interval '3 hours', "
        "start = now() - interval '2 hours', \"end\" = now() - interval '1 minute' "
        "WHERE id = :b",
        b=uuid.UUID(booking["id"]),
    )

    async def flagged() -> bool:
        return bool((await rental.get(path, headers=customer)).json()["overdue"])

    await eventually(flagged, timeout=20)
    facts = await park.sql(
        "SELECT event_type FROM rental.outbox WHERE subject = :s ORDER BY aggseq", s=booking["id"]
    )
    assert facts[-1][0] == "datapark.rental.booking.overdue_flagged.v1"
