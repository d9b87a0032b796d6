"""Orders through the real services: a listed product bought at its price, escrow locked,
delivered, confirmed and released to the seller less the venue fee — money adding up at every
step; insufficient funds; only listed products trade; idempotent replays."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from integration.trading.trading_support import (
    fund,
    listed_product,
    listing_fee_rate,
    participant,
    policy,
)
from sqlalchemy import func, select
from support.helpers import KAFKA, eventually

from datapark_contracts.topics import TRADING_TRADES
from datapark_contracts.verify import verify_chain
from datapark_eventing.replay import replay
from datapark_trading.settlement.models import LedgerEntryRow

pytestmark = pytest.mark.integration
FIXED = {"kind": "fixed", "price": "600.00"}


async def ledger_total(trading: Any) -> Decimal:
    async with trading.app.state.database.unit_of_work() as session:
        total = (await session.execute(select(func.sum(LedgerEntryRow.amount)))).scalar()
    return Decimal(total or 0)


async def account(trading: Any, token: Any, pid: uuid.UUID) -> dict[str, Any]:
    got = await trading.get(f"/v1/accounts/{pid}", headers=token("participant", participant_id=pid))
    assert got.status_code == 200, got.text
    data: dict[str, Any] = got.json()
    return data


async def test_order_delivery_confirmation_and_settlement(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, FIXED)
    await fund(trading, token, buyer, "1000.00")
    buyer_h = token("participant", participant_id=buyer)
    seller_h = token("participant", participant_id=seller)

    placed = await trading.post(
        "/v1/orders", headers=buyer_h, json={"listing_id": str(listing_id), "policy": policy()}
    )
    assert placed.status_code == 201, placed.text
    agreement = placed.json()["agreement"]
    assert agreement["status"] == "active"
    assert agreement["escrow"]["remaining"]["amount"] == "600.00"
    assert (await account(trading, token, buyer))["available"]["amount"] == "400.00"
    assert (await account(trading, token, buyer))["locked"]["amount"] == "600.00"

    # only its parties see the agreement: another tenant gets a 404
    stranger = token("participant", participant_id=uuid.uuid4())
    assert (
        await trading.get(f"/v1/agreements/{agreement['id']}", headers=stranger)
    ).status_code == 404
    seen = await trading.get(f"/v1/agreements/{agreement['id']}", headers=seller_h)
    assert seen.json()["terms"]["policy"]["purpose"] == "predictive maintenance model"

    transfer = await trading.post(
        f"/v1/agreements/{agreement['id']}/transfers", headers=buyer_h, json={}
    )
    assert transfer.status_code == 201, transfer.text
    tid = transfer.json()["id"]
    # the buyer cannot start its own delivery; the provider can
    assert (
        await trading.post(
            f"/v1/transfers/{tid}/start",
            headers=buyer_h,
            json={"endpoint": "https://data.example.cn/f"},
        )
    ).status_code == 403
    started = await trading.post(
        f"/v1/transfers/{tid}/start",
        headers=seller_h,
        json={"endpoint": "https://data.example.cn/feeds/press"},
    )
    assert started.status_code == 200, started.text
    assert len(started.json()["access_token"]) >= 32
    assert started.json()["grant_expires_at"] <= agreement["ends_at"]

    confirmed = await trading.post(f"/v1/transfers/{tid}/confirm", headers=buyer_h)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by"] == "consumer"

    rate = await listing_fee_rate(trading, listing_id)
    fee = (Decimal("600.00") * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (await account(trading, token, seller))["proceeds"][
        "amount"
    ] == f"{Decimal('600.00') - fee:.2f}"
    assert (await account(trading, token, buyer))["locked"]["amount"] == "0.00"
    done = (await trading.get(f"/v1/agreements/{agreement['id']}", headers=buyer_h)).json()
    assert done["escrow"]["status"] == "released"
    assert await ledger_total(trading) == 0

    # a second confirmation is a 409 naming the state
    again = await trading.post(f"/v1/transfers/{tid}/confirm", headers=buyer_h)
    assert again.status_code == 409
    assert again.json()["state"] == "COMPLETED"

    async def agreement_events() -> list[Any] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [TRADING_TRADES])
            if r.envelope is not None and r.envelope.subject == agreement["id"]
        ]
        return found if len(found) >= 3 else None

    envelopes = await eventually(agreement_events, timeout=60, interval=0.5)
    assert [e.type.split(".")[3] for e in envelopes] == [
        "concluded",
        "escrow_locked",
        "escrow_released",
    ]
    assert verify_chain(envelopes) == []
    released = envelopes[-1].data
    assert released["fee_amount"]["amount"] == f"{fee:.2f}"


async def test_insufficient_funds_is_a_422_and_leaves_nothing(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, FIXED)
    await fund(trading, token, buyer, "599.99")
    refused = await trading.post(
        "/v1/orders",
        headers=token("participant", participant_id=buyer),
        json={"listing_id": str(listing_id), "policy": policy()},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "insufficient_funds"
    state = await account(trading, token, buyer)
    assert (state["available"]["amount"], state["locked"]["amount"], state["locks"]) == (
        "599.99",
        "0.00",
        [],
    )


async def test_the_same_idempotency_key_replays_the_first_order(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, FIXED)
    await fund(trading, token, buyer, "2000.00")
    headers = token("participant", participant_id=buyer) | {"Idempotency-Key": str(uuid.uuid4())}
    body = {"listing_id": str(listing_id), "policy": policy()}
    first = await trading.post("/v1/orders", headers=headers, json=body)
    second = await trading.post("/v1/orders", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert (await account(trading, token, buyer))["available"]["amount"] == "1400.00"
    other = await trading.post(
        "/v1/orders", headers=headers, json=body | {"policy": policy(purpose="another")}
    )
    assert other.status_code == 422


async def test_only_listed_products_trade(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    pid, listing_id = await listed_product(catalog, trading, token, seller, FIXED)
    await fund(trading, token, buyer, "1000.00")
    owner = token("participant", participant_id=seller)
    suspended = await catalog.post(
        f"/v1/data-products/{pid}/listings/BJIDE/suspend",
        json={"reason": "audit"},
        headers=token("operator"),
    )
    assert suspended.status_code == 200, suspended.text

    async def refused() -> Any:
        answer = await trading.post(
            "/v1/orders",
            headers=token("participant", participant_id=buyer),
            json={"listing_id": str(listing_id), "policy": policy()},
        )
        return answer if answer.status_code == 409 else None

    answer = await eventually(refused, timeout=60, interval=0.3)
    assert answer.json()["state"] == "suspended"
    assert "only listed products trade" in answer.json()["detail"]
    assert (
        await catalog.post(f"/v1/data-products/{pid}/listings/BJIDE/resume", headers=owner)
    ).status_code == 200


async def test_delisting_applies_each_agreements_own_clause(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    pid, listing_id = await listed_product(catalog, trading, token, seller, FIXED)
    await fund(trading, token, buyer, "1200.00")
    buyer_h = token("participant", participant_id=buyer)
    ends = await trading.post(
        "/v1/orders",
        headers=buyer_h,
        json={"listing_id": str(listing_id), "policy": policy(on_delisting="terminate")},
    )
    runs = await trading.post(
        "/v1/orders",
        headers=buyer_h,
        json={"listing_id": str(listing_id), "policy": policy(on_delisting="continue")},
    )
    assert ends.status_code == runs.status_code == 201
    delisted = await catalog.post(
        f"/v1/data-products/{pid}/listings/BJIDE/delist",
        json={"reason": "owner withdrew"},
        headers=token("participant", participant_id=seller),
    )
    assert delisted.status_code == 200, delisted.text

    async def terminated() -> Any:
        got = await trading.get(f"/v1/agreements/{ends.json()['agreement']['id']}", headers=buyer_h)
        return got.json() if got.json()["status"] == "terminated" else None

    ended = await eventually(terminated, timeout=60, interval=0.3)
    assert ended["termination_reason"] == "listing delisted"
    assert ended["terminated_by"] is None
    assert ended["escrow"]["status"] == "refunded"
    still = await trading.get(f"/v1/agreements/{runs.json()['agreement']['id']}", headers=buyer_h)
    assert still.json()["status"] == "active"
    assert (await account(trading, token, buyer))["available"]["amount"] == "600.00"
