"""Money over time: subscriptions paid period by period, unused metered budget refunded when
the agreement ends, and an amendment replacing an agreement (old lock refunded, new locked)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant, policy

pytestmark = pytest.mark.integration


async def agreement_of(trading: Any, headers: dict[str, str], agreement_id: str) -> Any:
    got = await trading.get(f"/v1/agreements/{agreement_id}", headers=headers)
    assert got.status_code == 200, got.text
    return got.json()


async def test_a_subscription_is_paid_period_by_period(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog,
        trading,
        token,
        seller,
        {"kind": "subscription", "price_per_period": "100.00", "period": "month"},
    )
    await fund(trading, token, buyer, "300.00")
    c = token("participant", participant_id=buyer)
    p = token("participant", participant_id=seller)
    placed = await trading.post(
        "/v1/orders",
        headers=c,
        json={"listing_id": str(listing_id), "policy": policy(), "periods": 3},
    )
    assert placed.status_code == 201, placed.text
    agreement = placed.json()["agreement"]
    assert agreement["escrow"]["remaining"]["amount"] == "300.00"
    tid = (
        await trading.post(f"/v1/agreements/{agreement['id']}/transfers", headers=c, json={})
    ).json()["id"]
    await trading.post(
        f"/v1/transfers/{tid}/start",
        headers=p,
        json={"endpoint": "https://feeds.example.cn/monthly"},
    )
    assert (await trading.post(f"/v1/transfers/{tid}/confirm", headers=c)).status_code == 200
    # confirmation pays the first period only
    assert (await agreement_of(trading, c, agreement["id"]))["escrow"]["remaining"][
        "amount"
    ] == "200.00"

    sweeper = trading.app.state.sweeper
    starts = datetime.fromisoformat(agreement["starts_at"])
    await sweeper.sweep(starts + timedelta(days=32))
    assert (await agreement_of(trading, c, agreement["id"]))["escrow"]["remaining"][
        "amount"
    ] == "100.00"
    await sweeper.sweep(starts + timedelta(days=32))  # nothing new is due: nothing moves
    assert (await agreement_of(trading, c, agreement["id"]))["escrow"]["remaining"][
        "amount"
    ] == "100.00"
    await sweeper.sweep(starts + timedelta(days=62))
    done = await agreement_of(trading, c, agreement["id"])
    assert done["escrow"]["remaining"]["amount"] == "0.00"
    assert done["escrow"]["status"] == "released"


async def test_unused_metered_budget_goes_back_when_the_agreement_ends(
    catalog, trading, token
) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "metered", "unit": "record", "unit_price": "0.01"}
    )
    await fund(trading, token, buyer, "50.00")
    c = token("participant", participant_id=buyer)
    placed = await trading.post(
        "/v1/orders",
        headers=c,
        json={
            "listing_id": str(listing_id),
            "policy": policy(duration_seconds=86_400),
            "budget": {"amount": "50.00", "currency": "CNY"},
        },
    )
    assert placed.status_code == 201, placed.text
    agreement = placed.json()["agreement"]
    ends = datetime.fromisoformat(agreement["ends_at"])
    await trading.app.state.sweeper.sweep(ends + timedelta(seconds=1))
    after = await agreement_of(trading, c, agreement["id"])
    assert after["escrow"]["status"] == "refunded"
    assert after["escrow"]["close_reason"].startswith("lock expired at")
    account = (await trading.get(f"/v1/accounts/{buyer}", headers=c)).json()
    assert (account["available"]["amount"], account["locked"]["amount"]) == ("50.00", "0.00")


async def test_an_amendment_is_a_new_agreement_linked_to_the_old(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "400.00"}
    )
    await fund(trading, token, buyer, "900.00")
    c = token("participant", participant_id=buyer)
    p = token("participant", participant_id=seller)
    old = (
        await trading.post(
            "/v1/orders", headers=c, json={"listing_id": str(listing_id), "policy": policy()}
        )
    ).json()["agreement"]
    new_terms = {
        "pricing": {"kind": "fixed", "price": {"amount": "650.00", "currency": "CNY"}},
        "policy": {
            "purpose": "predictive maintenance model",
            "permitted_uses": ["analytics"],
            "territory": ["CN"],
            "duration_seconds": 200 * 24 * 3600,
            "max_records": 1_000_000,
        },
    }
    opened = await trading.post(
        "/v1/negotiations",
        headers=c,
        json={"listing_id": str(listing_id), "terms": new_terms, "amends": old["id"]},
    )
    assert opened.status_code == 201, opened.text
    nid = opened.json()["id"]
    for headers, step in ((p, "agree"), (c, "verify"), (p, "finalize")):
        moved = await trading.post(f"/v1/negotiations/{nid}/{step}", headers=headers)
        assert moved.status_code == 200, moved.text
    new_id = moved.json()["agreement_id"]
    new = await agreement_of(trading, c, new_id)
    superseded = await agreement_of(trading, c, old["id"])
    assert new["amends"] == old["id"]
    assert superseded["superseded_by"] == new_id
    assert superseded["status"] == "superseded"
    assert superseded["terms"] == old["terms"]  # the old agreement never changed
    assert superseded["escrow"]["status"] == "refunded"
    assert new["escrow"]["remaining"]["amount"] == "650.00"
    account = (await trading.get(f"/v1/accounts/{buyer}", headers=c)).json()
    assert (account["available"]["amount"], account["locked"]["amount"]) == ("250.00", "650.00")
    # an amended agreement takes no deliveries
    refused = await trading.post(f"/v1/agreements/{old['id']}/transfers", headers=c, json={})
    assert refused.status_code == 409
    assert refused.json()["state"] == "superseded"
    assert (
        await trading.get(
            f"/v1/agreements/{new_id}", headers=token("participant", participant_id=uuid.uuid4())
        )
    ).status_code == 404
