"""A party's own bookings cost what a page costs, not what the table holds: on 20,000
generated bookings in a scratch database (one customer in a thousand), EXPLAIN of the
customer's first page and of a cursor page shows two backward walks of the per-party keyset
indexes, each stopping after a page, then those rows by primary key -- no sequential scan, no
walk of the whole primary key, no row read and discarded -- for the custom plan and for the
generic plan a prepared statement switches to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from support.rental_volume import GENERATED_BOOKINGS
from support.scratch_database import scratch_database

from datapark_rental.bookings.repository import BookingRepository

pytestmark = pytest.mark.integration

BOOKINGS = 20_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMER = uuid.UUID("00000000-0000-7000-9000-000000000007")  # holds one booking in 1,000
LESSOR = uuid.UUID("00000000-0000-7000-a000-000000000007")  # lessor of one in 50
PAGE = 50


@pytest.fixture(scope="module")
async def volume() -> AsyncIterator[AsyncEngine]:
    async with scratch_database(["rental"]) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    GENERATED_BOOKINGS, {"first": 1, "last": BOOKINGS, "epoch": EPOCH}
                )
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE rental.bookings"))
            yield engine
        finally:
            await engine.dispose()


async def plan(conn: AsyncConnection, query: Select[Any], *, generic: bool) -> str:
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    if not generic:
        rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}", params)
        return "\n".join(str(row[0]) for row in rows)
    values = ", ".join("'" + str(value).replace("'", "''") + "'" for value in params)
    await conn.exec_driver_sql(f"PREPARE booking_page AS {compiled}")
    try:
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        rows = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE booking_page({values})"
        )
        return "\n".join(str(row[0]) for row in rows)
    finally:
        await conn.exec_driver_sql("RESET plan_cache_mode")
        await conn.exec_driver_sql("DEALLOCATE booking_page")


def _id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-7000-8000-{n:012x}")


@pytest.mark.parametrize("generic", [False, True])
@pytest.mark.parametrize("before", [None, _id(BOOKINGS // 2)])
async def test_a_partys_page_walks_the_per_party_indexes(
    volume: AsyncEngine, before: uuid.UUID | None, generic: bool
) -> None:
    query = BookingRepository.page_statement(before=before, limit=PAGE + 1, visible_to=CUSTOMER)
    async with volume.connect() as conn:
        shown = await plan(conn, query, generic=generic)
    # the page's ids: two index-only walks, each stopping after a page
    assert "Index Only Scan Backward using ix_rental_bookings_customer_order" in shown, shown
    assert "Index Only Scan Backward using ix_rental_bookings_lessor_order" in shown, shown
    # then those rows by primary key, and nothing else read
    lines = shown.splitlines()
    by_key = [n for n, line in enumerate(lines) if "using pk_bookings" in line]
    assert by_key, shown
    assert all("Index Cond: (id = ANY" in lines[n + 1] for n in by_key), shown
    assert "Seq Scan" not in shown, shown
    assert "Join" not in shown, shown
    assert "Rows Removed by Filter" not in shown, shown


async def test_the_page_holds_the_same_bookings_as_the_or_of_both_parties(
    volume: AsyncEngine,
) -> None:
    """The two walks merged give exactly the rows and order of the plain ``OR`` filter, for a
    customer, a lessor, both filters at once, a status and a cursor."""
    cases: list[dict[str, Any]] = [
        {"visible_to": CUSTOMER},
        {"visible_to": LESSOR},
        {"visible_to": LESSOR, "before": _id(BOOKINGS // 3)},
        {"visible_to": LESSOR, "party": CUSTOMER},
        {"party": LESSOR, "status": "closed"},
        {"party": LESSOR, "status": "confirmed"},
        {},
    ]
    async with volume.connect() as conn:
        for case in cases:
            query = BookingRepository.page_statement(
                before=case.get("before"),
                limit=PAGE + 1,
                party=case.get("party"),
                visible_to=case.get("visible_to"),
                status=case.get("status"),
            )
            got = [row.id for row in (await conn.execute(query)).all()]
            where = ["TRUE"]
            params: dict[str, Any] = {"limit": PAGE + 1}
            for name in ("party", "visible_to"):
                if case.get(name) is not None:
                    where.append(
                        f"(customer_participant_id = :{name} OR lessor_participant_id = :{name})"
                    )
                    params[name] = case[name]
            if case.get("before") is not None:
                where.append("id < :before")
                params["before"] = case["before"]
            if case.get("status") is not None:
                where.append("status = :status")
                params["status"] = case["status"]
            expected = [
                row[0]
                for row in await conn.execute(
                    text(
                        f"SELECT id FROM rental.bookings WHERE {' AND '.join(where)} "
                        "ORDER BY id DESC LIMIT :limit"
                    ),
                    params,
                )
            ]
            assert got == expected, case
            if case.get("status") != "confirmed":
                assert got, case  # each case (but the empty status) finds bookings
