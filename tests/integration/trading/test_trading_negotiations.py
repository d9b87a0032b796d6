"""Negotiations over HTTP: counter-offers both ways, provider approval, the agreement and its
escrow on finalize, refused moves as 409 with state and reason, expiry with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant

pytestmark = pytest.mark.integration


def terms(price: str, **policy: Any) -> dict[str, Any]:
    return {
        "pricing": {"kind": "fixed", "price": {"amount": price, "currency": "CNY"}},
        "policy": {
            "purpose": "credit scoring",
            "permitted_uses": ["analytics"],
            "territory": ["CN-BJ"],
            "duration_seconds": 180 * 24 * 3600,
            **policy,
        },
    }


async def test_counter_offers_approval_and_finalize(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "negotiable", "indicative_price": "900.00"}
    )
    await fund(trading, token, buyer, "1000.00")
    c = token("participant", participant_id=buyer)
    p = token("participant", participant_id=seller)

    # a negotiable listing takes no plain order
    order = await trading.post(
        "/v1/orders",
        headers=c,
        json={
            "listing_id": str(listing_id),
            "policy": {"purpose": "x", "permitted_uses": ["analytics"], "territory": ["CN"]},
        },
    )
    assert order.status_code == 422
    assert order.json()["code"] == "negotiation_required"

    opened = await trading.post(
        "/v1/negotiations",
        headers=c,
        json={"listing_id": str(listing_id), "terms": terms("700.00"), "requires_approval": True},
    )
    assert opened.status_code == 201, opened.text
    nid = opened.json()["id"]
    assert opened.json()["state"] == "REQUESTED"
    assert opened.json()["waiting_for"].startswith("provider to counter-offer or agree")

    # counter-offer loop: provider 880, consumer 760, provider 820
    for headers, price, state in (
        (p, "880.00", "OFFERED"),
        (c, "760.00", "REQUESTED"),
        (p, "820.00", "OFFERED"),
    ):
        moved = await trading.post(
            f"/v1/negotiations/{nid}/offers", headers=headers, json={"terms": terms(price)}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["state"] == state
    # the consumer may not agree; the provider may not accept
    wrong = await trading.post(f"/v1/negotiations/{nid}/agree", headers=c)
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_party"
    accepted = await trading.post(f"/v1/negotiations/{nid}/accept", headers=c)
    assert accepted.json()["state"] == "ACCEPTED"
    # approval pending: agreeing is a 409 with the state and why
    early = await trading.post(f"/v1/negotiations/{nid}/agree", headers=p)
    assert early.status_code == 409
    assert early.json()["state"] == "ACCEPTED"
    assert "approval" in early.json()["detail"]
    approved = await trading.post(
        f"/v1/negotiations/{nid}/approve", headers=p, json={"approver": "wang.fang (legal)"}
    )
    assert approved.json()["approved_round"] == 4
    agreed = await trading.post(f"/v1/negotiations/{nid}/agree", headers=p)
    assert agreed.json()["state"] == "AGREED"
    agreement_id = agreed.json()["agreement_id"]
    assert (await trading.post(f"/v1/negotiations/{nid}/verify", headers=c)).json()[
        "state"
    ] == "VERIFIED"
    finalized = await trading.post(f"/v1/negotiations/{nid}/finalize", headers=p)
    assert finalized.status_code == 200, finalized.text
    body = finalized.json()
    assert body["state"] == "FINALIZED"
    assert [o["offered_by"] for o in body["offers"]] == [
        "consumer",
        "provider",
        "consumer",
        "provider",
    ]

    agreement = (await trading.get(f"/v1/agreements/{agreement_id}", headers=c)).json()
    assert agreement["terms"]["pricing"]["price"]["amount"] == "820.00"
    assert agreement["escrow"]["remaining"]["amount"] == "820.00"
    assert agreement["origin"] == "negotiation"

    # moves after the end: 409 naming the state
    late = await trading.post(
        f"/v1/negotiations/{nid}/terminate", headers=c, json={"reason": "too late"}
    )
    assert late.status_code == 409
    assert late.json()["state"] == "FINALIZED"

    # either side may terminate the agreement with a reason; the rest is refunded
    ended = await trading.post(
        f"/v1/agreements/{agreement_id}/terminate",
        headers=p,
        json={"reason": "data source discontinued"},
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["terminated_by"]) == ("terminated", "provider")
    assert ended.json()["escrow"]["status"] == "refunded"
    account = (await trading.get(f"/v1/accounts/{buyer}", headers=c)).json()
    assert account["available"]["amount"] == "1000.00"


async def test_finalize_with_short_funds_is_422_and_changes_nothing(
    catalog, trading, token
) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, {"kind": "negotiable"})
    c = token("participant", participant_id=buyer)
    p = token("participant", participant_id=seller)
    offered = await trading.post(
        "/v1/negotiations",
        headers=p,
        json={"listing_id": str(listing_id), "terms": terms("500.00"), "consumer_id": str(buyer)},
    )
    assert offered.status_code == 201, offered.text
    nid = offered.json()["id"]
    assert offered.json()["state"] == "OFFERED"
    for headers, step in ((c, "accept"), (p, "agree"), (c, "verify")):
        assert (
            await trading.post(f"/v1/negotiations/{nid}/{step}", headers=headers)
        ).status_code == 200
    short = await trading.post(f"/v1/negotiations/{nid}/finalize", headers=p)
    assert short.status_code == 422
    assert short.json()["code"] == "insufficient_funds"
    still = await trading.get(f"/v1/negotiations/{nid}", headers=c)
    assert still.json()["state"] == "VERIFIED"
    await fund(trading, token, buyer, "500.00")
    assert (await trading.post(f"/v1/negotiations/{nid}/finalize", headers=p)).status_code == 200


async def test_an_unanswered_negotiation_expires_with_its_reason(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, {"kind": "negotiable"})
    c = token("participant", participant_id=buyer)
    opened = await trading.post(
        "/v1/negotiations",
        headers=c,
        json={
            "listing_id": str(listing_id),
            "terms": terms("100.00"),
            "response_window_seconds": 60,
        },
    )
    nid = opened.json()["id"]
    done = await trading.app.state.sweeper.sweep(datetime.now(UTC) + timedelta(minutes=2))
    assert done["negotiations_expired"] >= 1
    expired = (await trading.get(f"/v1/negotiations/{nid}", headers=c)).json()
    assert expired["state"] == "TERMINATED"
    assert expired["termination_reason"].startswith(
        "expired: the provider did not counter-offer or agree in REQUESTED"
    )
    assert expired["terminated_by"] is None
    refused = await trading.post(
        f"/v1/negotiations/{nid}/agree", headers=token("participant", participant_id=seller)
    )
    assert refused.status_code == 409
    assert refused.json()["state"] == "TERMINATED"
    assert "expired" in refused.json()["detail"]
    assert (
        await trading.get(
            f"/v1/negotiations/{nid}", headers=token("participant", participant_id=uuid.uuid4())
        )
    ).status_code == 404
