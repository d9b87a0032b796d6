"""Listing trades over HTTP: agreements, negotiations and transfers page by cursor in id (time)
order, each item once; a participant sees only the trades it is a party to, a partner its
members' only when it says whom it acts for, operators and auditors everything; the webhook
delivery log pages newest first; cursors this API never issued are a 422 problem."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant, policy
from support.helpers import eventually

from datapark_kit.pagination import encode_cursor

pytestmark = pytest.mark.integration

OBO = "Datapark-On-Behalf-Of"
PATHS = ("/v1/agreements", "/v1/negotiations", "/v1/transfers")


def terms(price: str) -> dict[str, Any]:
    return {
        "pricing": {"kind": "fixed", "price": {"amount": price, "currency": "CNY"}},
        "policy": {
            "purpose": "credit scoring",
            "permitted_uses": ["analytics"],
            "territory": ["CN-BJ"],
            "duration_seconds": 30 * 24 * 3600,
        },
    }


@dataclass
class Party:
    id: uuid.UUID
    headers: dict[str, str]
    agreements: set[str] = field(default_factory=set)
    negotiations: set[str] = field(default_factory=set)
    transfers: set[str] = field(default_factory=set)


@dataclass
class Scene:
    seller: Party
    a: Party  # a member of the partner
    b: Party
    partner: Party
    listing_id: uuid.UUID
    subscription_id: str
    terminated_agreement: str
    terminated_negotiation: str
    started_transfer: str
    auditor: dict[str, str]
    operator: dict[str, str]


@pytest.fixture(scope="module")
async def scene(catalog: Any, trading: Any, token: Any) -> Scene:
    ids = [await participant(catalog, trading, token) for _ in range(3)]
    partner_id = await participant(catalog, trading, token, roles=["partner"])
    seller, a, b = (Party(i, token("participant", participant_id=i)) for i in ids)
    partner = Party(partner_id, token("partner", participant_id=partner_id))
    _, listing_id = await listed_product(
        catalog, trading, token, seller.id, {"kind": "fixed", "price": "10.00"}
    )
    member = await trading.put(
        f"/v1/partners/{partner.id}/members/{a.id}", headers=token("operator")
    )
    assert member.status_code == 200, member.text
    # nothing listens on port 9: every delivery fails and is kept in the log
    subscribed = await trading.post(
        "/v1/webhook-subscriptions", headers=partner.headers, json={"url": "http://127.0.0.1:9/h"}
    )
    assert subscribed.status_code == 201, subscribed.text
    await fund(trading, token, a.id, "100.00")
    await fund(trading, token, b.id, "100.00")

    order = {"listing_id": str(listing_id), "policy": policy()}
    # a's first order is placed by its partner
    for buyer, headers in (
        (a, partner.headers | {OBO: str(a.id)}),
        (a, a.headers),
        (a, a.headers),
        (b, b.headers),
        (b, b.headers),
    ):
        placed = await trading.post("/v1/orders", headers=headers, json=order)
        assert placed.status_code == 201, placed.text
        buyer.agreements.add(placed.json()["agreement"]["id"])
    seller.agreements = a.agreements | b.agreements
    a1, a2, a3 = sorted(a.agreements)
    ended = await trading.post(
        f"/v1/agreements/{a3}/terminate", headers=a.headers, json={"reason": "no longer needed"}
    )
    assert ended.status_code == 200, ended.text

    for buyer in (a, a, b):
        opened = await trading.post(
            "/v1/negotiations",
            headers=buyer.headers,
            json={"listing_id": str(listing_id), "terms": terms("9.00")},
        )
        assert opened.status_code == 201, opened.text
        buyer.negotiations.add(opened.json()["id"])
    seller.negotiations = a.negotiations | b.negotiations
    n_ended = min(a.negotiations)
    stopped = await trading.post(
        f"/v1/negotiations/{n_ended}/terminate", headers=a.headers, json={"reason": "too dear"}
    )
    assert stopped.status_code == 200, stopped.text

    for buyer, agreement_id in ((a, a1), (a, a2), (b, min(b.agreements))):
        requested = await trading.post(
            f"/v1/agreements/{agreement_id}/transfers", headers=buyer.headers, json={}
        )
        assert requested.status_code == 201, requested.text
        buyer.transfers.add(requested.json()["id"])
    seller.transfers = a.transfers | b.transfers
    started_id = min(a.transfers)
    started = await trading.post(
        f"/v1/transfers/{started_id}/start",
        headers=seller.headers,
        json={"endpoint": "https://data.example.cn/feeds/press"},
    )
    assert started.status_code == 200, started.text
    assert started.json()["access_token"]

    return Scene(
        seller=seller,
        a=a,
        b=b,
        partner=partner,
        listing_id=listing_id,
        subscription_id=subscribed.json()["id"],
        terminated_agreement=a3,
        terminated_negotiation=n_ended,
        started_transfer=started_id,
        auditor=token("auditor", participant_id=uuid.uuid4()),
        operator=token("operator"),
    )


async def walk(
    trading: Any, path: str, headers: dict[str, str], *, newest_first: bool = False, **params: Any
) -> list[dict[str, Any]]:
    """Every item of every page, following ``next_cursor``; ids strictly ordered, none twice."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = params | ({"cursor": cursor} if cursor else {})
        response = await trading.get(path, headers=headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 50)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert page["items"], "a page with a next cursor has items"
    found = [uuid.UUID(item["id"]) for item in items]
    assert found == sorted(set(found), reverse=newest_first), "duplicates or out of order"
    return items


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def mine(party: Party, path: str) -> set[str]:
    return {
        "/v1/agreements": party.agreements,
        "/v1/negotiations": party.negotiations,
        "/v1/transfers": party.transfers,
    }[path]


async def test_pages_walk_every_item_once(trading, scene: Scene) -> None:
    seller = scene.seller
    assert (len(seller.agreements), len(seller.negotiations), len(seller.transfers)) == (5, 3, 3)
    for path in PATHS:
        for limit in (1, 2, 3, 200):
            items = await walk(trading, path, seller.headers, limit=limit)
            assert ids(items) == mine(seller, path)
            assert len(items) == len(mine(seller, path))
        exact = await trading.get(
            path, headers=seller.headers, params={"limit": len(mine(seller, path))}
        )
        assert exact.json()["next_cursor"] is None
        first = (await trading.get(path, headers=seller.headers, params={"limit": 1})).json()
        assert first["next_cursor"]
        assert first["items"][0]["id"] == min(mine(seller, path))


async def test_a_participant_sees_only_trades_it_is_party_to(trading, token, scene: Scene) -> None:
    a, b = scene.a, scene.b
    for path in PATHS:
        for party, other in ((a, b), (b, a)):
            seen = await walk(trading, path, party.headers, limit=2)
            assert ids(seen) == mine(party, path)
            assert not ids(seen) & mine(other, path)
        stranger = token("participant", participant_id=uuid.uuid4())
        nothing = await trading.get(path, headers=stranger)
        assert nothing.status_code == 200, nothing.text
        assert nothing.json() == {"items": [], "next_cursor": None}
    agreements = await walk(trading, "/v1/agreements", a.headers)
    assert all(str(a.id) in (x["consumer_id"], x["provider_id"]) for x in agreements)

    # filters narrow within what the caller sees
    ended = await walk(trading, "/v1/agreements", a.headers, state="terminated")
    assert ids(ended) == {scene.terminated_agreement}
    assert ended[0]["status"] == "terminated"
    for state in ("running", "active"):
        running = await walk(trading, "/v1/agreements", a.headers, state=state)
        assert ids(running) == a.agreements - {scene.terminated_agreement}
    assert await walk(trading, "/v1/agreements", a.headers, state="expired") == []
    on_listing = await walk(
        trading, "/v1/agreements", scene.seller.headers, listing_id=str(scene.listing_id), limit=2
    )
    assert ids(on_listing) == scene.seller.agreements
    elsewhere = await walk(trading, "/v1/agreements", a.headers, listing_id=str(uuid.uuid4()))
    assert elsewhere == []
    bad_state = await trading.get("/v1/agreements", headers=a.headers, params={"state": "gone"})
    assert bad_state.status_code == 422

    stopped = await walk(trading, "/v1/negotiations", a.headers, state="TERMINATED")
    assert ids(stopped) == {scene.terminated_negotiation}
    requested = await walk(trading, "/v1/negotiations", a.headers, state="REQUESTED")
    assert ids(requested) == a.negotiations - {scene.terminated_negotiation}
    assert all(n["offers"] for n in requested)

    started = await walk(trading, "/v1/transfers", scene.seller.headers, state="STARTED")
    assert ids(started) == {scene.started_transfer}
    assert started[0]["endpoint"] == "https://data.example.cn/feeds/press"
    waiting = await walk(trading, "/v1/transfers", scene.seller.headers, state="REQUESTED")
    assert ids(waiting) == scene.seller.transfers - {scene.started_transfer}
    # a list never shows an access token
    for headers in (a.headers, scene.seller.headers, scene.auditor):
        assert all(t["access_token"] is None for t in await walk(trading, "/v1/transfers", headers))


async def test_a_partner_sees_its_members_trades_only_on_their_behalf(
    trading, scene: Scene
) -> None:
    partner, a, b = scene.partner, scene.a, scene.b
    for path in PATHS:
        # without the header the partner is itself, a party to none of these trades
        own = await walk(trading, path, partner.headers)
        assert not ids(own) & mine(scene.seller, path)
        acting = await walk(trading, path, partner.headers | {OBO: str(a.id)}, limit=2)
        assert ids(acting) == mine(a, path)
        refused = await trading.get(path, headers=partner.headers | {OBO: str(b.id)})
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_a_member"
        # only a partner names a member
        assert (await trading.get(path, headers=a.headers | {OBO: str(b.id)})).status_code == 403


async def test_operators_and_auditors_see_every_trade(trading, scene: Scene) -> None:
    everyone = scene.seller
    for headers in (scene.auditor, scene.operator):
        on_listing = await walk(
            trading, "/v1/agreements", headers, listing_id=str(scene.listing_id), limit=2
        )
        assert ids(on_listing) == everyone.agreements
        for path in PATHS:
            everything = await walk(trading, path, headers, limit=200)
            assert mine(everyone, path) <= ids(everything)
        stopped = await walk(trading, "/v1/negotiations", headers, state="TERMINATED", limit=200)
        assert scene.terminated_negotiation in ids(stopped)
        assert not ids(stopped) & (everyone.negotiations - {scene.terminated_negotiation})


async def test_the_delivery_log_pages_newest_first(trading, token, scene: Scene) -> None:
    path = f"/v1/webhook-subscriptions/{scene.subscription_id}/deliveries"
    headers = scene.partner.headers

    async def logged() -> list[dict[str, Any]] | None:
        items = (await trading.get(path, headers=headers, params={"limit": 200})).json()["items"]
        return items if len(items) >= 6 else None

    before = await eventually(logged, timeout=60, interval=0.3)
    for limit in (1, 2, 5):
        walked = await walk(trading, path, headers, newest_first=True, limit=limit)
        # deliveries only ever get added (newest first), so an earlier full read is contained
        assert ids(before) <= ids(walked)
    first = (await trading.get(path, headers=headers, params={"limit": 2})).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    more = {"limit": 2, "cursor": first["next_cursor"]}
    second = (await trading.get(path, headers=headers, params=more)).json()
    assert second["items"][0]["id"] < first["items"][1]["id"]
    stranger = token("partner", participant_id=uuid.uuid4())
    assert (await trading.get(path, headers=stranger)).status_code == 404


async def test_a_cursor_this_api_never_issued_is_a_422_problem(trading, scene: Scene) -> None:
    paths = [*PATHS, f"/v1/webhook-subscriptions/{scene.subscription_id}/deliveries"]
    headers = scene.partner.headers
    for path in paths:
        for cursor in ("!!not-base64!!", encode_cursor("not-a-uuid")):
            response = await trading.get(path, headers=headers, params={"cursor": cursor})
            assert response.status_code == 422, (path, cursor, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == 422
            assert any(e["field"] == "cursor" for e in problem["errors"]), problem
        for limit in (0, 201):
            response = await trading.get(path, headers=headers, params={"limit": limit})
            assert response.status_code == 422
