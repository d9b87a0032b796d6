"""Racing bookings over shared units on the real Postgres: kits listing the same units in
opposite orders and single-unit bookings, all for one slot, end with each unit held exactly
once, every loser refused with 409, and no deadlock (issue #16's chaos finding).

The race window is widened by a row trigger that slows the inserts of the test's own units;
without the per-unit advisory locks this test ends in 503s (Postgres' deadlock victims)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration.rental.rental_park import hour_floor

from datapark_contracts.ids import uuid7

pytestmark = pytest.mark.integration

SLOTS = 3
BLOCKING = "('held', 'confirmed', 'checked_out', 'returned')"


async def deadlocks(park: Any) -> int:
    rows = await park.sql(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return int(rows[0][0])


async def reversed_copy(park: Any, offering_id: uuid.UUID) -> uuid.UUID:
    """A second offering of the same kit listing its units the other way round, written into
    rental's offering view directly: catalog refuses two live kit offerings sharing a unit,
    but rental's reservations must not depend on that to stay deadlock-free."""
    copy = uuid7()
    columns = (
        "lessor_participant_id, title, target_kind, unit_id, kit_id, category, modes, "
        "rate_card, deposit, min_duration_minutes, max_duration_minutes, "
        "turnaround_before_minutes, turnaround_after_minutes, service_terms, "
        "cancellation_policy, late_fee_per_hour, available_from, available_until, location, "
        "state, aggseq, updated_at"
    )
    await park.sql(
        f"INSERT INTO rental.offerings (id, unit_ids, {columns}) "
        f"SELECT :copy, (SELECT array_agg(u ORDER BY n DESC) "
        f"FROM unnest(unit_ids) WITH ORDINALITY AS t(u, n)), {columns} "
        "FROM rental.offerings WHERE id = :o",
        copy=copy,
        o=offering_id,
    )
    rows = await park.sql(
        "SELECT a.unit_ids, b.unit_ids FROM rental.offerings a, rental.offerings b "
        "WHERE a.id = :o AND b.id = :copy",
        o=offering_id,
        copy=copy,
    )
    assert len(rows[0][0]) == 2
    assert rows[0][1] == rows[0][0][::-1]
    return copy


@contextlib.asynccontextmanager
async def slow_inserts(park: Any, unit_ids: list[uuid.UUID]) -> AsyncIterator[None]:
    """Widen the race: each reservation row of these units is inserted a moment after it is
    asked for (a row trigger that sleeps), so a kit's second row comes while other racers
    are between theirs. Only these units are slowed; the trigger goes at the end."""
    tag = uuid.uuid4().hex
    units = ",".join(str(u) for u in unit_ids)
    await park.sql(
        f"CREATE FUNCTION rental.test_slow_insert_{tag}() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN NEW; END $$"
    )
    await park.sql(
        f"CREATE TRIGGER test_slow_insert_{tag} BEFORE INSERT ON rental.unit_reservations "
        f"FOR EACH ROW WHEN (NEW.unit_id = ANY ('{{{units}}}'::uuid[])) "
        f"EXECUTE FUNCTION rental.test_slow_insert_{tag}()"
    )
    try:
        yield
    finally:
        await park.sql(f"DROP TRIGGER test_slow_insert_{tag} ON rental.unit_reservations")
        await park.sql(f"DROP FUNCTION rental.test_slow_insert_{tag}()")


async def test_kits_over_the_same_units_in_opposite_orders_race_without_deadlock(
    rental, park
) -> None:
    _, lessor = await park.company()
    first, second = await park.unit(lessor), await park.unit(lessor)
    kit_forward = await park.offering(lessor, kit_id=await park.kit(lessor, [first, second]))
    kit_backward = await reversed_copy(park, kit_forward)
    single_first = await park.offering(lessor, unit_id=first)
    single_second = await park.offering(lessor, unit_id=second)
    offerings = {
        kit_forward: {first, second},
        kit_backward: {first, second},
        single_first: {first},
        single_second: {second},
    }
    customers = [(await park.company())[1] for _ in range(3)]
    base = hour_floor(datetime.now(UTC)) + timedelta(days=40)
    # Several slots race at once (more chances for the insert-order cycle); in each, kits
    # come first and interleaved, so both unit orders are inserted side by side.
    slots = [base + timedelta(days=2 * n) for n in range(SLOTS)]
    mix = [kit_forward, kit_backward] * 2 + [single_first, single_second]
    attempts = [(start, offering_id) for start in slots for offering_id in mix]
    deadlocks_before = await deadlocks(park)

    async with slow_inserts(park, [first, second]):
        responses = await asyncio.gather(
            *(
                rental.post(
                    "/v1/bookings",
                    headers=customers[i % len(customers)],
                    json={
                        "offering_id": str(offering_id),
                        "start": start.isoformat(),
                        "end": (start + timedelta(hours=4)).isoformat(),
                    },
                )
                for i, (start, offering_id) in enumerate(attempts)
            )
        )

    assert {r.status_code for r in responses} <= {201, 409}, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["code"] == "booking_conflict", refused.text
    for slot in slots:
        winners = [
            offerings[offering_id]
            for (start, offering_id), response in zip(attempts, responses, strict=True)
            if start == slot and response.status_code == 201
        ]
        # Either one kit won both units, or one single booking won each unit: never less (a
        # refused kit frees what it touched) and never overlapping.
        assert sorted(len(units) for units in winners) in ([2], [1, 1]), (slot, winners)
        assert set().union(*winners) == {first, second}
    held = await park.sql(
        "SELECT unit_id, count(*) FROM rental.unit_reservations "
        f"WHERE unit_id = ANY(:u) AND status IN {BLOCKING} GROUP BY unit_id",
        u=[first, second],
    )
    assert {row[0]: row[1] for row in held} == {first: SLOTS, second: SLOTS}
    # Deadlocks would also have shown as 503s above; the counter checks the database saw none.
    assert await deadlocks(park) == deadlocks_before
