"""The robot fleet and rental offerings over HTTP on the real Postgres and Kafka."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from integration.catalog.test_catalog_products import fields, participant
from support.helpers import KAFKA, eventually
from unit.catalog.test_catalog_listing_events import exported_schema, schema_errors

from datapark_contracts.payloads import payload_model
from datapark_contracts.topics import CATALOG_LISTINGS
from datapark_eventing.replay import replay

pytestmark = pytest.mark.integration
START = datetime(2027, 1, 1, tzinfo=UTC)


async def model(catalog: Any, headers: dict[str, str], category: str = "inspection_drone") -> str:
    created = await catalog.post(
        "/v1/robot-models",
        headers=headers,
        json={
            "maker": "DJI",
            "name": "Matrice 350 RTK",
            "category": category,
            "specs": {"max_flight_seconds": 3300, "ip_rating": "IP55", "payload_kg": "2.7"},
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def unit(catalog: Any, headers: dict[str, str], model_id: str, **overrides: Any) -> str:
    body = {
        "model_id": model_id,
        "serial_number": f"SN-{uuid.uuid4().hex[:12]}",
        "acquisition_cost": cny("120000.00"),
        "salvage_value": cny("12000.00"),
        "acquired_on": date.today().isoformat(),
        "useful_life_months": 36,
        "location": "Hall 3, Lanzhou New Area",
    } | overrides
    created = await catalog.post("/v1/robot-units", headers=headers, json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def offering_body(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Inspection line by the day",
        "target_kind": "unit",
        "modes": ["short_term", "long_term"],
        "rate_card": {"hour": cny("300.00"), "day": cny("2000.00"), "month": cny("40000.00")},
        "deposit": cny("20000.00"),
        "min_duration_seconds": 7200,
        "max_duration_seconds": 31536000,
        "turnaround_before_seconds": 3600,
        "turnaround_after_seconds": 7200,
        "cancellation_policy": [{"notice_seconds": 86400, "fee_rate": "0.2"}],
        "late_fee_per_hour": cny("450.00"),
        "available_from": START.isoformat(),
        "location": "Hall 3",
    } | overrides


async def lessor(catalog: Any, token: Any) -> tuple[uuid.UUID, dict[str, str]]:
    pid = await participant(catalog, token)
    return pid, token("participant", participant_id=pid)


async def test_units_depreciate_and_serials_are_unique(catalog: Any, token: Any) -> None:
    _, owner = await lessor(catalog, token)
    model_id = await model(catalog, owner)
    # Acquired today: worth its cost. Acquired long ago: depreciated to its salvage.
    fresh = (
        await catalog.get(f"/v1/robot-units/{await unit(catalog, owner, model_id)}", headers=owner)
    ).json()
    assert fresh["appraised_value"] == cny("120000.00")
    old_id = await unit(catalog, owner, model_id, acquired_on="2015-03-01")
    old = (await catalog.get(f"/v1/robot-units/{old_id}", headers=owner)).json()
    assert old["appraised_value"] == cny("12000.00")

    serial = f"SN-{uuid.uuid4().hex[:12]}"
    await unit(catalog, owner, model_id, serial_number=serial)
    duplicate = await catalog.post(
        "/v1/robot-units",
        headers=owner,
        json={
            "model_id": model_id,
            "serial_number": serial,
            "acquisition_cost": cny("1.00"),
            "acquired_on": "2025-01-01",
            "useful_life_months": 12,
            "location": "x",
        },
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "duplicate_serial"

    for amount in (
        cny("-1.00"),
        cny("1.005"),
        cny("NaN"),
        {"amount": 1, "currency": "CNY"},
        "1.00",
    ):
        bad = await catalog.post(
            "/v1/robot-units",
            headers=owner,
            json={
                "model_id": model_id,
                "serial_number": f"SN-{uuid.uuid4().hex}",
                "acquisition_cost": amount,
                "acquired_on": "2025-01-01",
                "useful_life_months": 12,
                "location": "x",
            },
        )
        assert bad.status_code == 422, (amount, bad.text)
        assert any("acquisition_cost" in f for f in fields(bad)), bad.json()

    async def changed() -> list[Any] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [CATALOG_LISTINGS])
            if r.envelope is not None and r.envelope.subject == old_id
        ]
        return found or None

    envelope = (await eventually(changed, timeout=20, interval=0.5))[0]
    assert schema_errors(envelope.data, exported_schema(envelope.type)) == []
    event = payload_model(envelope.type).model_validate(envelope.data)
    assert envelope.type == "datapark.catalog.robot_unit.registered.v1"
    assert event.appraised_value.amount == 12000  # type: ignore[attr-defined]
    assert event.maker == "DJI"  # type: ignore[attr-defined]


async def test_kits_offerings_and_their_rules(catalog: Any, token: Any) -> None:
    lessor_id, owner = await lessor(catalog, token)
    _, other = await lessor(catalog, token)
    model_id = await model(catalog, owner)
    a, b, c = [await unit(catalog, owner, model_id) for _ in range(3)]
    foreign = await unit(catalog, other, await model(catalog, other))

    mixed = await catalog.post(
        "/v1/robot-kits", headers=owner, json={"name": "Line A", "unit_ids": [a, foreign]}
    )
    assert mixed.status_code == 422
    assert fields(mixed) == ["unit_ids[1]"]
    kit1 = (
        await catalog.post(
            "/v1/robot-kits", headers=owner, json={"name": "Line A", "unit_ids": [a, b]}
        )
    ).json()["id"]
    kit2 = (
        await catalog.post(
            "/v1/robot-kits", headers=owner, json={"name": "Line B", "unit_ids": [b, c]}
        )
    ).json()["id"]

    empty = await catalog.post(
        "/v1/rental-offerings", headers=owner, json=offering_body(unit_id=a, rate_card={})
    )
    assert empty.status_code == 422
    assert fields(empty) == ["rate_card"]
    bad_deposit = await catalog.post(
        "/v1/rental-offerings", headers=owner, json=offering_body(unit_id=a, deposit=cny("10.001"))
    )
    assert fields(bad_deposit) == ["deposit.amount"]
    for minutes in ({"min_duration_minutes": 120}, {"min_duration_seconds": 7230}):
        body = {k: v for k, v in offering_body(unit_id=a).items() if k != "min_duration_seconds"}
        odd = await catalog.post("/v1/rental-offerings", headers=owner, json=body | minutes)
        assert odd.status_code == 422, odd.text
        assert "min_duration_seconds" in fields(odd) or "min_duration_minutes" in fields(odd)

    single = await catalog.post(
        "/v1/rental-offerings", headers=owner, json=offering_body(unit_id=a)
    )
    assert single.status_code == 201, single.text
    assert single.json()["category"] == "inspection_drone"
    shown = single.json()
    assert (shown["deposit"], shown["late_fee_per_hour"]) == (cny("20000.00"), cny("450.00"))
    assert (shown["min_duration_seconds"], shown["turnaround_after_seconds"]) == (7200, 7200)
    assert shown["cancellation_policy"] == [{"notice_seconds": 86400, "fee_rate": "0.2"}]

    container = offering_body(
        target_kind="kit",
        kit_id=kit1,
        modes=["robot_container"],
        available_until=(START + timedelta(days=90)).isoformat(),
    )
    first = await catalog.post("/v1/rental-offerings", headers=owner, json=container)
    assert first.status_code == 201, first.text
    assert set(first.json()["unit_ids"]) == {a, b}
    # Unit b is in kit1's offering for [START, START+90d): kit2 overlapping is refused…
    overlap = await catalog.post(
        "/v1/rental-offerings",
        headers=owner,
        json=container
        | {"kit_id": kit2, "available_from": (START + timedelta(days=30)).isoformat()},
    )
    assert overlap.status_code == 422
    assert fields(overlap) == ["unit_ids"]
    assert overlap.json()["code"] == "unit_in_overlapping_kit_offering"
    # … but kit2 right after it is fine (half-open periods).
    after = await catalog.post(
        "/v1/rental-offerings",
        headers=owner,
        json=container
        | {
            "kit_id": kit2,
            "available_from": (START + timedelta(days=90)).isoformat(),
            "available_until": None,
        },
    )
    assert after.status_code == 201, after.text

    # Changing kit2's offering to overlap kit1's is refused the same way; other terms change.
    after_id = after.json()["id"]
    terms = {k: v for k, v in container.items() if k not in ("target_kind", "kit_id")}
    moved = await catalog.put(
        f"/v1/rental-offerings/{after_id}",
        headers=owner,
        json=terms
        | {"available_from": (START + timedelta(days=60)).isoformat(), "available_until": None},
    )
    assert moved.status_code == 422
    assert fields(moved) == ["unit_ids"]
    repriced = await catalog.put(
        f"/v1/rental-offerings/{after_id}",
        headers=owner,
        json=terms
        | {
            "available_from": (START + timedelta(days=90)).isoformat(),
            "available_until": None,
            "rate_card": {"week": cny("9000.00")},
        },
    )
    assert repriced.status_code == 200, repriced.text
    assert repriced.json()["rate_card"] == {
        "hour": None,
        "day": None,
        "week": {"amount": "9000.00", "currency": "CNY"},
        "month": None,
    }
    assert (
        await catalog.put(f"/v1/rental-offerings/{after_id}", headers=other, json=terms)
    ).status_code == 404

    # Only the owner withdraws; another lessor gets a 404.
    oid = first.json()["id"]
    assert (
        await catalog.post(
            f"/v1/rental-offerings/{oid}/withdraw", headers=other, json={"reason": "mine"}
        )
    ).status_code == 404
    withdrawn = await catalog.post(
        f"/v1/rental-offerings/{oid}/withdraw", headers=owner, json={"reason": "line rebuilt"}
    )
    assert withdrawn.json()["state"] == "withdrawn"
    again = await catalog.post(
        f"/v1/rental-offerings/{oid}/withdraw", headers=owner, json={"reason": "twice"}
    )
    assert again.status_code == 409
    assert again.json()["state"] == "withdrawn"

    # A unit held by a published offering cannot be retired; once withdrawn it can.
    retire = await catalog.patch(f"/v1/robot-units/{a}", headers=owner, json={"status": "retired"})
    assert retire.status_code == 409
    assert retire.json()["code"] == "unit_offered"
    await catalog.post(
        f"/v1/rental-offerings/{single.json()['id']}/withdraw",
        headers=owner,
        json={"reason": "retiring the unit"},
    )
    retired = await catalog.patch(f"/v1/robot-units/{a}", headers=owner, json={"status": "retired"})
    assert retired.json()["status"] == "retired"

    async def offering_events() -> list[Any] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [CATALOG_LISTINGS])
            if r.envelope is not None and r.envelope.subject == oid
        ]
        return found if len(found) >= 2 else None

    envelopes = await eventually(offering_events, timeout=20, interval=0.5)
    assert [e.type.split(".")[3] for e in envelopes] == ["published", "withdrawn"]
    for envelope in envelopes:
        assert schema_errors(envelope.data, exported_schema(envelope.type)) == []
    published = payload_model(envelopes[0].type).model_validate(envelopes[0].data)
    assert published.lessor_participant_id == lessor_id  # type: ignore[attr-defined]
    # The event (catalog.listings.v1) still counts minutes: 7200 s is 120 minutes.
    assert published.min_duration_minutes == 120  # type: ignore[attr-defined]
    assert published.turnaround_after_minutes == 120  # type: ignore[attr-defined]
    assert set(map(str, published.unit_ids)) == {a, b}  # type: ignore[attr-defined]


async def test_maintenance_windows_and_unit_access(catalog: Any, token: Any) -> None:
    _, owner = await lessor(catalog, token)
    _, other = await lessor(catalog, token)
    unit_id = await unit(catalog, owner, await model(catalog, owner))
    url = f"/v1/robot-units/{unit_id}/maintenance-windows"
    window = {
        "start": START.isoformat(),
        "end": (START + timedelta(hours=8)).isoformat(),
        "reason": "annual service",
    }
    created = await catalog.post(url, headers=owner, json=window)
    assert created.status_code == 201, created.text
    overlapping = await catalog.post(
        url,
        headers=owner,
        json=window
        | {
            "start": (START + timedelta(hours=7)).isoformat(),
            "end": (START + timedelta(hours=9)).isoformat(),
        },
    )
    assert overlapping.status_code == 409
    touching = await catalog.post(
        url,
        headers=owner,
        json=window
        | {
            "start": (START + timedelta(hours=8)).isoformat(),
            "end": (START + timedelta(hours=9)).isoformat(),
        },
    )
    assert touching.status_code == 201
    backwards = await catalog.post(url, headers=owner, json=window | {"end": window["start"]})
    assert backwards.status_code == 422
    assert fields(backwards) == ["end"]
    cancel = await catalog.post(f"{url}/{created.json()['id']}/cancel", headers=owner)
    assert cancel.json()["status"] == "cancelled"

    assert (await catalog.get(f"/v1/robot-units/{unit_id}", headers=other)).status_code == 404
    assert (
        await catalog.patch(
            f"/v1/robot-units/{unit_id}", headers=other, json={"location": "elsewhere"}
        )
    ).status_code == 404
    assert (await catalog.post(url, headers=other, json=window)).status_code == 404
    moved = await catalog.patch(
        f"/v1/robot-units/{unit_id}", headers=owner, json={"location": "Hall 5"}
    )
    assert moved.json()["location"] == "Hall 5"


async def test_a_suspended_lessor_cannot_offer(catalog: Any, token: Any) -> None:
    lessor_id, owner = await lessor(catalog, token)
    unit_id = await unit(catalog, owner, await model(catalog, owner))
    await catalog.post(
        f"/v1/participants/{lessor_id}/suspend", json={"reason": "audit"}, headers=token("operator")
    )
    refused = await catalog.post(
        "/v1/rental-offerings", headers=owner, json=offering_body(unit_id=unit_id)
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "participant_not_active"
