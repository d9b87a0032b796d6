"""End to end through Kafka: a product listed in catalog shows up in trading's listings, an
offering published in catalog shows up in rental's fleet view — neither ever calls catalog."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from integration.catalog.test_catalog_fleet import lessor, model, offering_body, unit
from integration.catalog.test_catalog_products import registered_product
from sqlalchemy import text
from support.helpers import eventually

pytestmark = pytest.mark.integration


async def row(client: Any, sql: str, **params: Any) -> Any:
    async with client.app.state.database.unit_of_work() as session:
        return (await session.execute(text(sql), params)).mappings().first()


async def test_listing_and_offering_reach_trading_and_rental(
    catalog: Any, trading: Any, rental: Any, token: Any
) -> None:
    _, owner = await lessor(catalog, token)
    pid = await registered_product(catalog, token, owner)
    listed = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={
            "venue_code": "SZDE",
            "price_terms": {
                "kind": "metered",
                "unit": "record",
                "unit_price": {"amount": "0.20", "currency": "CNY"},
                "monthly_maximum": {"amount": "800", "currency": "CNY"},
            },
        },
    )
    assert listed.status_code == 201, listed.text
    listing_id = uuid.UUID(listed.json()["listings"][0]["listing_id"])

    async def in_trading() -> Any:
        found = await row(trading, "SELECT * FROM trading.listings WHERE id = :id", id=listing_id)
        return found if found is not None and found["product_state"] == "listed" else None

    projected = await eventually(in_trading, timeout=30, interval=0.3)
    assert projected["venue_code"] == "SZDE"
    assert projected["listing_state"] == "listed"
    assert projected["price_terms"]["unit_price"] == {"amount": "0.20", "currency": "CNY"}
    assert str(projected["venue_fee_rate"]).startswith("0.025")

    unit_id = await unit(catalog, owner, await model(catalog, owner))
    offered = await catalog.post(
        "/v1/rental-offerings", headers=owner, json=offering_body(unit_id=unit_id)
    )
    assert offered.status_code == 201, offered.text
    offering_id = uuid.UUID(offered.json()["id"])

    async def in_rental() -> Any:
        return await row(rental, "SELECT * FROM rental.offerings WHERE id = :id", id=offering_id)

    offering = await eventually(in_rental, timeout=30, interval=0.3)
    assert offering["state"] == "published"
    assert [str(u) for u in offering["unit_ids"]] == [unit_id]
    assert offering["turnaround_before_minutes"] == 60

    # A suspension travels the same way and stops trading on that venue.
    await catalog.post(
        f"/v1/data-products/{pid}/suspend", json={"reason": "audit"}, headers=token("operator")
    )

    async def suspended() -> Any:
        found = await row(trading, "SELECT * FROM trading.listings WHERE id = :id", id=listing_id)
        return found if found["product_state"] == "suspended" else None

    assert (await eventually(suspended, timeout=30, interval=0.3))["listing_state"] == "listed"
