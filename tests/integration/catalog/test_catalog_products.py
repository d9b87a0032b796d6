"""Data products over HTTP on the real Postgres and Kafka: the whole lifecycle, every
authorisation rule, bad input, and the events on catalog.listings.v1."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from support.helpers import KAFKA, eventually, random_uscc
from unit.catalog.test_catalog_listing_events import exported_schema, schema_errors

from datapark_catalog.products.schemas import DataProductCreate
from datapark_contracts.payloads import payload_model
from datapark_contracts.topics import CATALOG_LISTINGS
from datapark_contracts.verify import verify_chain
from datapark_eventing.replay import replay

pytestmark = pytest.mark.integration


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def product_body(**overrides: Any) -> dict[str, Any]:
    """The create request the API documents as its example (so every test that registers a
    product also proves the documented example is accepted), with a sample's hash."""
    example: dict[str, Any] = DataProductCreate.model_json_schema()["examples"][0]
    return {**example, "sample_sha256": sha("sample"), **overrides}


async def participant(catalog: Any, token: Any, *, approve: bool = True) -> uuid.UUID:
    operator = token("operator")
    body = {
        "name": "Hall 2 Presses Co.",
        "uscc": random_uscc("110105"),
        "region_code": "110105",
        "roles": ["participant"],
    }
    created = await catalog.post("/v1/participants", json=body, headers=operator)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    if approve:
        ok = await catalog.post(f"/v1/participants/{pid}/approve", headers=operator)
        assert ok.status_code == 200, ok.text
    return uuid.UUID(pid)


async def registered_product(
    catalog: Any, token: Any, owner: dict[str, str], **overrides: Any
) -> str:
    created = await catalog.post("/v1/data-products", json=product_body(**overrides), headers=owner)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await catalog.post(f"/v1/data-products/{pid}/submit", headers=owner)).status_code == 200
    review = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=token("operator"),
        json={"decision": "approved", "document_hashes": [sha("deed")]},
    )
    assert review.status_code == 200, review.text
    return str(pid)


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = response.json()
    return data


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def fields(response: Any) -> list[str]:
    return [e["field"] for e in problem(response).get("errors", [])]


async def test_lifecycle_from_draft_to_retired_with_events(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    operator = token("operator")

    created = await catalog.post("/v1/data-products", json=product_body(), headers=owner)
    assert created.status_code == 201, created.text
    product = created.json()
    pid = product["id"]
    assert (product["state"], product["owner_participant_id"]) == ("draft", str(owner_id))

    edited = await catalog.patch(
        f"/v1/data-products/{pid}", json={"title": "Press telemetry"}, headers=owner
    )
    assert edited.json()["title"] == "Press telemetry"
    assert (await catalog.post(f"/v1/data-products/{pid}/submit", headers=owner)).json()[
        "state"
    ] == "submitted"
    # A draft-only step after submission is a 409 naming the state.
    late_edit = await catalog.patch(f"/v1/data-products/{pid}", json={"title": "x"}, headers=owner)
    assert late_edit.status_code == 409
    assert problem(late_edit)["state"] == "submitted"

    reviewed = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=operator,
        json={
            "decision": "approved",
            "reasons": ["rights verified"],
            "document_hashes": [sha("deed"), sha("consent")],
        },
    )
    assert reviewed.status_code == 200, reviewed.text
    body = reviewed.json()
    assert body["state"] == "registered"
    cert = body["certificate"]
    assert cert["number"].startswith("DPR-")
    assert cert["owner_participant_id"] == str(owner_id)
    assert len(cert["content_hash"]) == 64
    assert body["reviews"][0]["document_hashes"] == [sha("deed"), sha("consent")]

    listed = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": "BJIDE", "price_terms": {"kind": "fixed", "price": cny("50000.00")}},
    )
    assert listed.status_code == 201, listed.text
    assert listed.json()["state"] == "listed"
    second = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={
            "venue_code": "SZDE",
            "reference": f"SZ-{uuid.uuid4().hex[:8]}",
            "price_terms": {
                "kind": "metered",
                "unit": "call",
                "unit_price": cny("0.05"),
                "monthly_maximum": cny("3000"),
            },
        },
    )
    assert second.status_code == 201, second.text
    venues = {x["venue_code"]: x for x in second.json()["listings"]}
    assert venues["SZDE"]["price_terms"]["unit_price"] == {"amount": "0.05", "currency": "CNY"}
    assert venues["BJIDE"]["reference"].startswith("BJIDE-")
    again = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": "BJIDE", "price_terms": {"kind": "negotiable"}},
    )
    assert again.status_code == 409

    step = f"/v1/data-products/{pid}/listings/SZDE"
    suspended = await catalog.post(f"{step}/suspend", json={"reason": "audit"}, headers=operator)
    assert {x["venue_code"]: x["state"] for x in suspended.json()["listings"]}["SZDE"] == (
        "suspended"
    )
    assert (await catalog.post(f"{step}/resume", headers=owner)).status_code == 200

    assert (
        await catalog.post(f"/v1/data-products/{pid}/suspend", json={"reason": "x"}, headers=owner)
    ).json()["state"] == "suspended"
    resume = await catalog.post(f"{step}/resume", headers=owner)
    assert resume.status_code == 409
    assert problem(resume)["state"] == "suspended"  # the product itself is suspended
    assert (await catalog.post(f"/v1/data-products/{pid}/reinstate", headers=owner)).json()[
        "state"
    ] == "listed"
    delisted = await catalog.post(
        f"/v1/data-products/{pid}/delist", json={"reason": "sold"}, headers=owner
    )
    assert delisted.json()["state"] == "delisted"
    assert {x["state"] for x in delisted.json()["listings"]} == {"delisted"}
    retired = await catalog.post(f"/v1/data-products/{pid}/retire", headers=owner)
    assert retired.json()["state"] == "retired"
    for path in ("submit", "retire", "reinstate"):
        refused = await catalog.post(f"/v1/data-products/{pid}/{path}", headers=owner)
        assert refused.status_code == 409
        assert problem(refused)["state"] == "retired"

    expected = [
        "drafted",
        "revised",
        "submitted",
        "review_started",
        "registered",
        "listed",
        "listed",
        "listing_suspended",
        "listing_resumed",
        "suspended",
        "reinstated",
        "delisted",
        "retired",
    ]

    async def all_events() -> list[Any] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [CATALOG_LISTINGS])
            if r.envelope is not None and r.envelope.subject == pid
        ]
        return found if len(found) >= len(expected) else None

    envelopes = await eventually(all_events, timeout=20, interval=0.5)
    assert [e.type.split(".")[3] for e in envelopes] == expected
    assert verify_chain(envelopes) == []
    for envelope in envelopes:
        payload = payload_model(envelope.type).model_validate(envelope.data)
        assert payload.aggregate_id() == pid
        assert schema_errors(envelope.data, exported_schema(envelope.type)) == []
    listed_event = payload_model(envelopes[6].type).model_validate(envelopes[6].data)
    assert listed_event.venue_code == "SZDE"  # type: ignore[attr-defined]
    assert {x.venue_code for x in listed_event.listings} == {"BJIDE", "SZDE"}  # type: ignore[attr-defined]


async def test_rejection_then_revision(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = (await catalog.post("/v1/data-products", json=product_body(), headers=owner)).json()["id"]
    await catalog.post(f"/v1/data-products/{pid}/submit", headers=owner)
    no_reason = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=token("operator"),
        json={"decision": "rejected", "document_hashes": [sha("a")]},
    )
    assert no_reason.status_code == 422
    assert fields(no_reason) == ["reasons"]
    rejected = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=token("operator"),
        json={
            "decision": "rejected",
            "reasons": ["no proof of collection consent"],
            "document_hashes": [sha("a")],
        },
    )
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["certificate"] is None
    listing = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": "GSDE", "price_terms": {"kind": "negotiable"}},
    )
    assert listing.status_code == 409
    assert problem(listing)["state"] == "rejected"
    assert (await catalog.post(f"/v1/data-products/{pid}/revise", headers=owner)).json()[
        "state"
    ] == "draft"


async def test_authorisation(catalog: Any, token: Any) -> None:
    owner_id, other_id = await participant(catalog, token), await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    other = token("participant", participant_id=other_id)
    pid = (await catalog.post("/v1/data-products", json=product_body(), headers=owner)).json()["id"]

    assert (await catalog.get(f"/v1/data-products/{pid}", headers=other)).status_code == 404
    assert (
        await catalog.patch(f"/v1/data-products/{pid}", json={"title": "mine"}, headers=other)
    ).status_code == 404
    assert (await catalog.post(f"/v1/data-products/{pid}/submit", headers=other)).status_code == 404
    mine = (await catalog.get("/v1/data-products", headers=other)).json()["items"]
    assert pid not in {p["id"] for p in mine}

    operator = token("operator")
    assert (await catalog.get(f"/v1/data-products/{pid}", headers=operator)).status_code == 200
    assert (
        await catalog.patch(f"/v1/data-products/{pid}", json={"title": "op"}, headers=operator)
    ).status_code == 403
    await catalog.post(f"/v1/data-products/{pid}/submit", headers=owner)
    self_review = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=owner,
        json={"decision": "approved", "document_hashes": [sha("x")]},
    )
    assert self_review.status_code == 403
    assert (await catalog.get(f"/v1/data-products/{pid}")).status_code == 401
    # An owner that is also an operator still cannot review its own product.
    owner_operator = token("operator", "participant", participant_id=owner_id)
    own = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=owner_operator,
        json={"decision": "approved", "document_hashes": [sha("x")]},
    )
    assert own.status_code == 403
    assert own.json()["code"] == "own_product"
    state = (await catalog.get(f"/v1/data-products/{pid}", headers=owner)).json()["state"]
    assert state == "submitted"


async def test_a_suspended_participant_cannot_list(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = await registered_product(catalog, token, owner)
    suspend = await catalog.post(
        f"/v1/participants/{owner_id}/suspend",
        json={"reason": "unpaid fees"},
        headers=token("operator"),
    )
    assert suspend.status_code == 200, suspend.text
    refused = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": "BJIDE", "price_terms": {"kind": "fixed", "price": cny("10.00")}},
    )
    assert refused.status_code == 403
    assert problem(refused)["code"] == "participant_not_active"


async def test_core_data_is_never_listed_and_bad_input_names_the_field(
    catalog: Any, token: Any
) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    core = await registered_product(catalog, token, owner, classification="core")
    refused = await catalog.post(
        f"/v1/data-products/{core}/listings",
        headers=owner,
        json={"venue_code": "BJIDE", "price_terms": {"kind": "fixed", "price": cny("10.00")}},
    )
    assert refused.status_code == 422
    assert fields(refused) == ["classification"]

    no_basis = await catalog.post(
        "/v1/data-products", headers=owner, json=product_body(personal_information=True)
    )
    assert no_basis.status_code == 422
    assert fields(no_basis) == ["legal_basis"]

    pid = await registered_product(catalog, token, owner)
    for price, field in (
        (cny("-1.00"), "price_terms.price.amount"),
        (cny("10.005"), "price_terms.price.amount"),
        (cny("NaN"), "price_terms.price.amount"),
        ({"amount": 10, "currency": "CNY"}, "price_terms.price.amount"),  # a JSON number
        ("10.00", "price_terms.price"),  # a bare string: money is an object
        (cny("99999999999999999.00"), "price_terms.price"),  # beyond the money columns
    ):
        bad = await catalog.post(
            f"/v1/data-products/{pid}/listings",
            headers=owner,
            json={"venue_code": "BJIDE", "price_terms": {"kind": "fixed", "price": price}},
        )
        assert bad.status_code == 422, (price, bad.text)
        assert any(f.endswith(field) for f in fields(bad)), (price, bad.json())
    mixed = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={
            "venue_code": "BJIDE",
            "price_terms": {"kind": "fixed", "price": cny("10.00"), "unit_price": cny("1.00")},
        },
    )
    assert mixed.status_code == 422
    assert fields(mixed) == ["price_terms.unit_price"]
    missing = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={
            "venue_code": "BJIDE",
            "price_terms": {"kind": "subscription", "price_per_period": cny("9.00")},
        },
    )
    assert fields(missing) == ["price_terms.period"]
    unknown = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": "NOPE", "price_terms": {"kind": "negotiable"}},
    )
    assert unknown.status_code == 422
    assert fields(unknown) == ["venue_code"]


async def test_own_products_page_by_cursor(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    created = set()
    for i in range(3):
        response = await catalog.post(
            "/v1/data-products", json=product_body(title=f"Page {i}"), headers=owner
        )
        created.add(response.json()["id"])
    first = (await catalog.get("/v1/data-products", params={"limit": 2}, headers=owner)).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = (
        await catalog.get(
            "/v1/data-products", params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner
        )
    ).json()
    assert second["next_cursor"] is None
    assert {p["id"] for p in first["items"] + second["items"]} == created
