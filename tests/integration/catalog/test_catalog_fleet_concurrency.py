"""Invariants that hold under concurrency because the database guards them: a unit in only
one kit offering per period, one maintenance window per period, one live listing per venue;
and idempotent POSTs."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from integration.catalog.test_catalog_fleet import START, lessor, model, offering_body, unit
from integration.catalog.test_catalog_products import product_body, registered_product
from support.helpers import KAFKA, eventually
from unit.catalog.test_catalog_listing_events import exported_schema, schema_errors

from datapark_contracts.payloads import payload_model
from datapark_contracts.topics import CATALOG_LISTINGS
from datapark_eventing.replay import replay

pytestmark = pytest.mark.integration


async def test_concurrent_kit_offerings_sharing_a_unit_leave_exactly_one(
    catalog: Any, token: Any
) -> None:
    _, owner = await lessor(catalog, token)
    model_id = await model(catalog, owner)
    shared = await unit(catalog, owner, model_id)
    kits = []
    for i in range(8):
        other = await unit(catalog, owner, model_id)
        created = await catalog.post(
            "/v1/robot-kits", headers=owner, json={"name": f"Line {i}", "unit_ids": [shared, other]}
        )
        kits.append(created.json()["id"])
    body = offering_body(target_kind="kit", modes=["robot_container"])
    responses = await asyncio.gather(
        *(
            catalog.post("/v1/rental-offerings", headers=owner, json=body | {"kit_id": kit})
            for kit in kits
        )
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 422: 7}, [r.text for r in responses if r.status_code not in (201, 422)]
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {
        "unit_in_overlapping_kit_offering"
    }


async def test_concurrent_overlapping_maintenance_leaves_exactly_one(
    catalog: Any, token: Any
) -> None:
    _, owner = await lessor(catalog, token)
    unit_id = await unit(catalog, owner, await model(catalog, owner))
    responses = await asyncio.gather(
        *(
            catalog.post(
                f"/v1/robot-units/{unit_id}/maintenance-windows",
                headers=owner,
                json={
                    "start": (START + timedelta(minutes=10 * i)).isoformat(),
                    "end": (START + timedelta(hours=4)).isoformat(),
                    "reason": f"service {i}",
                },
            )
            for i in range(10)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}


async def test_concurrent_listings_on_one_venue_leave_exactly_one(catalog: Any, token: Any) -> None:
    _, owner = await lessor(catalog, token)
    pid = await registered_product(catalog, token, owner)
    responses = await asyncio.gather(
        *(
            catalog.post(
                f"/v1/data-products/{pid}/listings",
                headers=owner,
                json={
                    "venue_code": "GSDE",
                    "price_terms": {
                        "kind": "fixed",
                        "price": {"amount": f"{100 + i}.00", "currency": "CNY"},
                    },
                },
            )
            for i in range(6)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 5}
    product = (await catalog.get(f"/v1/data-products/{pid}", headers=owner)).json()
    assert [x["venue_code"] for x in product["listings"]] == ["GSDE"]


async def test_idempotent_create_replays_the_first_response(catalog: Any, token: Any) -> None:
    _, owner = await lessor(catalog, token)
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await catalog.post("/v1/data-products", headers=owner | key, json=product_body())
    again = await catalog.post("/v1/data-products", headers=owner | key, json=product_body())
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other_body = await catalog.post(
        "/v1/data-products", headers=owner | key, json=product_body(title="Another")
    )
    assert other_body.status_code == 422


async def test_model_and_kit_changes_are_published(catalog: Any, token: Any) -> None:
    _, owner = await lessor(catalog, token)
    _, other = await lessor(catalog, token)
    model_id = await model(catalog, owner)
    changed = await catalog.patch(
        f"/v1/robot-models/{model_id}", headers=owner, json={"specs": {"max_flight_seconds": 3000}}
    )
    assert changed.json()["specs"] == {"max_flight_seconds": 3000}
    assert (
        await catalog.patch(f"/v1/robot-models/{model_id}", headers=other, json={"name": "x"})
    ).status_code == 403
    kit = (
        await catalog.post(
            "/v1/robot-kits",
            headers=owner,
            json={"name": "Line", "unit_ids": [await unit(catalog, owner, model_id)]},
        )
    ).json()["id"]
    renamed = await catalog.patch(f"/v1/robot-kits/{kit}", headers=owner, json={"name": "Line 7"})
    assert renamed.json()["name"] == "Line 7"
    assert (
        await catalog.patch(f"/v1/robot-kits/{kit}", headers=other, json={"name": "x"})
    ).status_code == 404

    async def facts() -> dict[str, list[Any]] | None:
        found: dict[str, list[Any]] = {model_id: [], kit: []}
        async for r in replay(KAFKA, [CATALOG_LISTINGS]):
            if r.envelope is not None and r.envelope.subject in found:
                found[r.envelope.subject].append(r.envelope)
        return found if all(len(v) >= 2 for v in found.values()) else None

    found = await eventually(facts, timeout=20, interval=0.5)
    for envelope in found[model_id] + found[kit]:
        assert schema_errors(envelope.data, exported_schema(envelope.type)) == []
    assert [e.type for e in found[model_id]][-1] == "datapark.catalog.robot_model.changed.v1"
    kit_event = payload_model(found[kit][-1].type).model_validate(found[kit][-1].data)
    assert kit_event.name == "Line 7"  # type: ignore[attr-defined]
