"""GET /v1/listings over listed data products and published rental offerings: filters and
cursor pagination on the real Postgres."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from integration.catalog.test_catalog_fleet import lessor, model, offering_body, unit
from integration.catalog.test_catalog_products import registered_product

pytestmark = pytest.mark.integration


async def listed(
    catalog: Any,
    token: Any,
    owner: dict[str, str],
    tag: str,
    *,
    domain: str,
    venue: str,
    price: str,
) -> str:
    pid = await registered_product(
        catalog,
        token,
        owner,
        domain=domain,
        title=f"{tag} {domain} dataset",
        keywords=[tag, domain],
    )
    response = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={
            "venue_code": venue,
            "price_terms": {"kind": "fixed", "price": {"amount": price, "currency": "CNY"}},
        },
    )
    assert response.status_code == 201, response.text
    return str(pid)


async def collect(catalog: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every page of a search, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        query = params | ({"cursor": cursor} if cursor else {})
        page = await catalog.get("/v1/listings", params=query, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def test_search_filters_and_pagination(catalog: Any, token: Any) -> None:
    tag = f"zq{uuid.uuid4().hex[:10]}"
    _, owner = await lessor(catalog, token)
    health = await listed(
        catalog, token, owner, tag, domain="healthcare", venue="SZDE", price="100.00"
    )
    await listed(
        catalog, token, owner, tag, domain="transportation", venue="BJIDE", price="5000.00"
    )
    await listed(catalog, token, owner, tag, domain="transportation", venue="GSDE", price="900.00")
    # A registered but unlisted product never shows.
    await registered_product(catalog, token, owner, title=f"{tag} unlisted")
    model_id = await model(catalog, owner, category="humanoid")
    for i in range(2):
        unit_id = await unit(catalog, owner, model_id)
        created = await catalog.post(
            "/v1/rental-offerings",
            headers=owner,
            json=offering_body(
                unit_id=unit_id,
                title=f"{tag} humanoid {i}",
                rate_card={"day": {"amount": f"{1000 + i}.00", "currency": "CNY"}},
                modes=["short_term"],
            ),
        )
        assert created.status_code == 201, created.text
    reader = token("customer")

    everything = await collect(catalog, reader, text=tag, limit=2)
    assert len(everything) == 5
    assert len({item["id"] for item in everything}) == 5
    times = [item["published_at"] for item in everything]
    assert times == sorted(times, reverse=True)
    assert {i["kind"] for i in everything} == {"data_product", "rental_offering"}

    products = await collect(catalog, reader, text=tag, kind="data_product")
    assert len(products) == 3
    assert [
        p["product_id"] for p in await collect(catalog, reader, text=tag, domain="healthcare")
    ] == [health]
    assert [p["venue_code"] for p in await collect(catalog, reader, text=tag, venue="gsde")] == [
        "GSDE"
    ]
    humanoids = await collect(catalog, reader, text=tag, category="humanoid")
    assert {h["title"] for h in humanoids} == {f"{tag} humanoid 0", f"{tag} humanoid 1"}
    priced = await collect(
        catalog, reader, text=tag, min_price="900", max_price="1000.00", currency="CNY"
    )
    assert sorted(p["headline_price"]["amount"] for p in priced) == ["1000.00", "900.00"]
    assert {p["headline_price"]["currency"] for p in priced} == {"CNY"}
    usd = await catalog.get(
        "/v1/listings", params={"min_price": "5", "currency": "USD"}, headers=reader
    )
    assert usd.status_code == 422
    assert usd.json()["errors"][0]["field"] == "currency"

    bad = await catalog.get(
        "/v1/listings", params={"min_price": "5", "max_price": "1"}, headers=reader
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "min_price"
    garbage = await catalog.get("/v1/listings", params={"cursor": "nope"}, headers=reader)
    assert garbage.status_code == 422
    assert (await catalog.get("/v1/listings")).status_code == 401


async def test_the_venues_are_one_page(catalog: Any, token: Any) -> None:
    page = await catalog.get(
        "/v1/venues", headers=token("participant", participant_id=uuid.uuid4())
    )
    assert page.status_code == 200, page.text
    assert page.json()["next_cursor"] is None
    venues = {v["code"]: v for v in page.json()["items"]}
    assert {"BJIDE", "SZDE", "GSDE"} <= set(venues)
    assert Decimal(venues["BJIDE"]["fee_rate"]) == Decimal("0.03")
