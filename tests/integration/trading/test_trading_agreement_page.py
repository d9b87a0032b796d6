"""A page of agreements is built in one pass: every item carries the escrow view its own GET
shows, and the number of statements does not grow with the page (the escrow locks and their
balances of a whole page come from one query)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant, policy
from sqlalchemy import event

pytestmark = pytest.mark.integration


@contextmanager
def statements(trading: Any) -> Iterator[list[str]]:
    """The SQL statements trading's engine runs inside the block."""
    seen: list[str] = []
    engine = trading.app.state.database.engine.sync_engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def ledger_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "trading.escrow_locks" in s or "trading.ledger_entries" in s]


async def test_agreement_pages_carry_each_escrow_in_constant_statements(
    catalog, trading, token
) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    await fund(trading, token, buyer, "1000.00")
    buyer_h = token("participant", participant_id=buyer)
    for price in ("100.00", "250.00", "400.00"):
        _, listing_id = await listed_product(
            catalog, trading, token, seller, {"kind": "fixed", "price": price}
        )
        placed = await trading.post(
            "/v1/orders", headers=buyer_h, json={"listing_id": str(listing_id), "policy": policy()}
        )
        assert placed.status_code == 201, placed.text

    with statements(trading) as one:
        small = await trading.get("/v1/agreements", headers=buyer_h, params={"limit": 1})
    with statements(trading) as three:
        page = await trading.get("/v1/agreements", headers=buyer_h, params={"limit": 3})
    assert small.status_code == 200, small.text
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert sorted(item["escrow"]["remaining"]["amount"] for item in items) == [
        "100.00",
        "250.00",
        "400.00",
    ]
    # Background workers share the engine: count only what reads escrow locks or the ledger.
    assert len(ledger_reads(three)) == len(ledger_reads(one)) == 1

    for item in items:
        alone = await trading.get(f"/v1/agreements/{item['id']}", headers=buyer_h)
        assert alone.status_code == 200, alone.text
        assert alone.json()["escrow"] == item["escrow"]
        assert item["escrow"]["amount"] == item["escrow"]["remaining"]
