"""Metered use against the policy and the lock, automatic confirmation, and the invariant
that concurrent releases of one escrow lock pay out exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant, policy
from sqlalchemy import func, select

from datapark_kit.errors import InvalidState
from datapark_trading.settlement.models import LedgerEntryRow, LedgerTransactionRow
from datapark_trading.settlement.service import SettlementService

pytestmark = pytest.mark.integration
METERED = {"kind": "metered", "unit": "call", "unit_price": "0.50", "monthly_maximum": "40.00"}


async def started_delivery(
    trading: Any,
    token: Any,
    buyer: uuid.UUID,
    seller: uuid.UUID,
    listing_id: uuid.UUID,
    **order: Any,
) -> tuple[dict[str, Any], str, str]:
    c = token("participant", participant_id=buyer)
    p = token("participant", participant_id=seller)
    placed = await trading.post(
        "/v1/orders", headers=c, json={"listing_id": str(listing_id), **order}
    )
    assert placed.status_code == 201, placed.text
    agreement = placed.json()["agreement"]
    tid = (
        await trading.post(f"/v1/agreements/{agreement['id']}/transfers", headers=c, json={})
    ).json()["id"]
    started = await trading.post(
        f"/v1/transfers/{tid}/start",
        headers=p,
        json={"endpoint": "https://api.example.cn/v2/scores"},
    )
    assert started.status_code == 200, started.text
    return agreement, tid, started.json()["access_token"]


async def test_metered_use_is_counted_charged_and_refused_past_the_limit(
    catalog, trading, token
) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(catalog, trading, token, seller, METERED)
    await fund(trading, token, buyer, "100.00")
    agreement, tid, access = await started_delivery(
        trading,
        token,
        buyer,
        seller,
        listing_id,
        policy=policy(max_calls=100),
        budget={"amount": "30.00", "currency": "CNY"},
    )
    p = token("participant", participant_id=seller)

    def use(calls: int, **extra: Any) -> dict[str, Any]:
        return {
            "access_token": access,
            "use": "analytics",
            "region": "CN-BJ",
            "calls": calls,
            **extra,
        }

    first = await trading.post("/v1/usage", headers=p, json=use(40))
    assert first.status_code == 201, first.text
    assert (first.json()["charge"]["amount"], first.json()["total_calls"]) == ("20.00", 40)
    # the buyer cannot report use of its own delivery
    buyer_reports = await trading.post(
        "/v1/usage", headers=token("participant", participant_id=buyer), json=use(1)
    )
    assert buyer_reports.status_code == 403
    # a use the policy does not permit: 403, nothing counted
    resale = await trading.post("/v1/usage", headers=p, json=use(1) | {"use": "resale"})
    assert resale.status_code == 403
    assert resale.json()["code"] == "use_not_permitted"
    outside = await trading.post("/v1/usage", headers=p, json=use(1) | {"region": "US"})
    assert outside.json()["code"] == "territory_not_permitted"
    # more than the lock holds (30.00 - 20.00 left, 30 calls = 15.00): 422, nothing counted
    broke = await trading.post("/v1/usage", headers=p, json=use(30))
    assert broke.status_code == 422
    assert broke.json()["code"] == "lock_exceeded"
    second = await trading.post("/v1/usage", headers=p, json=use(20))
    assert (second.json()["charge"]["amount"], second.json()["total_calls"]) == ("10.00", 60)
    # 60 more calls would exceed max_calls=100: refused whole, nothing counted
    past = await trading.post("/v1/usage", headers=p, json=use(41))
    assert past.status_code == 422
    assert past.json()["code"] == "usage_limit_exceeded"
    again = (await trading.get(f"/v1/agreements/{agreement['id']}", headers=p)).json()
    assert again["escrow"]["remaining"]["amount"] == "0.00"

    # suspension stops use; resuming allows it again; termination revokes the grant
    assert (
        await trading.post(
            f"/v1/transfers/{tid}/suspend", headers=p, json={"reason": "maintenance"}
        )
    ).status_code == 200
    paused = await trading.post("/v1/usage", headers=p, json=use(1))
    assert paused.status_code == 409
    assert paused.json()["state"] == "SUSPENDED"
    assert (await trading.post(f"/v1/transfers/{tid}/resume", headers=p)).status_code == 200
    ended = await trading.post(
        f"/v1/transfers/{tid}/terminate", headers=p, json={"reason": "contract dispute"}
    )
    assert ended.json()["grant_revoked_at"] is not None
    revoked = await trading.post("/v1/usage", headers=p, json=use(1))
    assert revoked.status_code == 409
    seen = await trading.get(
        f"/v1/transfers/{tid}", headers=token("participant", participant_id=buyer)
    )
    assert (seen.json()["state"], seen.json()["access_token"]) == ("TERMINATED", None)
    assert seen.json()["termination_reason"] == "contract dispute"


async def test_receipt_is_confirmed_automatically_and_paid_once(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "300.00"}
    )
    await fund(trading, token, buyer, "300.00")
    agreement, _, _ = await started_delivery(
        trading, token, buyer, seller, listing_id, policy=policy()
    )
    sweeper = trading.app.state.sweeper
    await sweeper.sweep(datetime.now(UTC) + timedelta(days=8))
    await sweeper.sweep(datetime.now(UTC) + timedelta(days=8))
    c = token("participant", participant_id=buyer)
    got = (await trading.get(f"/v1/agreements/{agreement['id']}", headers=c)).json()
    assert got["escrow"]["status"] == "released"
    assert got["escrow"]["close_reason"] == "delivery confirmed automatically"
    entries = await releases_of(trading, uuid.UUID(got["escrow"]["lock_id"]))
    assert entries == 1


async def releases_of(trading: Any, lock_id: uuid.UUID) -> int:
    async with trading.app.state.database.unit_of_work() as session:
        count = (
            await session.execute(
                select(func.count())
                .select_from(LedgerTransactionRow)
                .where(
                    LedgerTransactionRow.lock_id == lock_id,
                    LedgerTransactionRow.kind.in_(("release", "refund")),
                )
            )
        ).scalar_one()
    return int(count)


async def seller_paid(trading: Any, seller: uuid.UUID) -> Any:
    async with trading.app.state.database.unit_of_work() as session:
        return (
            await session.execute(
                select(func.sum(LedgerEntryRow.amount)).where(
                    LedgerEntryRow.account_kind == "seller",
                    LedgerEntryRow.account_holder == str(seller),
                )
            )
        ).scalar()


async def test_two_concurrent_releases_of_one_lock_pay_out_once(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "1000.00"}
    )
    await fund(trading, token, buyer, "2000.00")

    # through the service: two transactions race to release the same lock
    c = token("participant", participant_id=buyer)
    placed = await trading.post(
        "/v1/orders", headers=c, json={"listing_id": str(listing_id), "policy": policy()}
    )
    agreement_id = uuid.UUID(placed.json()["agreement"]["id"])
    database = trading.app.state.database

    async def release() -> str:
        try:
            async with database.unit_of_work() as session:
                await SettlementService(session).release(
                    agreement_id, datetime.now(UTC), "delivery confirmed"
                )
            return "paid"
        except InvalidState as refused:
            return f"refused:{refused.extra['state']}"

    outcomes = sorted(await asyncio.gather(release(), release()))
    assert outcomes == ["paid", "refused:released"]
    lock_id = uuid.UUID(placed.json()["agreement"]["escrow"]["lock_id"])
    assert await releases_of(trading, lock_id) == 1
    paid_once = await seller_paid(trading, seller)

    # through HTTP: two confirmations of one delivery race; one wins, one is a 409
    agreement, tid, _ = await started_delivery(
        trading, token, buyer, seller, listing_id, policy=policy()
    )
    answers = await asyncio.gather(
        trading.post(f"/v1/transfers/{tid}/confirm", headers=c),
        trading.post(f"/v1/transfers/{tid}/confirm", headers=c),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    second_lock = uuid.UUID(agreement["escrow"]["lock_id"])
    assert await releases_of(trading, second_lock) == 1
    assert await seller_paid(trading, seller) == 2 * paid_once


async def test_the_database_refuses_a_second_closing_movement(catalog, trading, token) -> None:
    """Even a writer that skipped the row lock cannot close a lock twice or unbalance the
    ledger: the unique index and the deferred trigger refuse it at the database."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    from datapark_trading.settlement import ledger
    from datapark_trading.settlement.repository import LedgerRepository

    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "10.00"}
    )
    await fund(trading, token, buyer, "10.00")
    placed = await trading.post(
        "/v1/orders",
        headers=token("participant", participant_id=buyer),
        json={"listing_id": str(listing_id), "policy": policy()},
    )
    lock_id = uuid.UUID(placed.json()["agreement"]["escrow"]["lock_id"])
    database = trading.app.state.database
    now = datetime.now(UTC)
    escrow = ledger.escrow(lock_id, "CNY")

    def refund_tx() -> ledger.Transaction:
        return ledger.Transaction(
            uuid.uuid4(),
            ledger.TxKind.REFUND,
            (
                ledger.Entry(escrow, ledger.Decimal("-10.00")),
                ledger.Entry(ledger.buyer(buyer, "CNY"), ledger.Decimal("10.00")),
            ),
            now,
            lock_id=lock_id,
            memo="first",
        )

    async with database.unit_of_work() as session:
        await LedgerRepository(session).post(refund_tx())
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as session:
            await LedgerRepository(session).post(refund_tx())
    # an unbalanced or overdrawing write is refused at commit by the deferred trigger
    with pytest.raises(DBAPIError):
        async with database.unit_of_work() as session:
            await session.execute(
                LedgerEntryRow.__table__.insert().values(
                    transaction_id=(
                        await session.execute(
                            select(LedgerTransactionRow.id)
                            .where(LedgerTransactionRow.lock_id == lock_id)
                            .limit(1)
                        )
                    ).scalar_one(),
                    account_kind="buyer",
                    account_holder=str(buyer),
                    currency="CNY",
                    amount=ledger.Decimal("-5.00"),
                )
            )


async def test_concurrent_orders_never_overdraw_the_buyer(catalog, trading, token) -> None:
    """Twenty orders race for funds that cover ten: exactly ten lock, ten are 422."""
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "25.00"}
    )
    await fund(trading, token, buyer, "250.00")
    c = token("participant", participant_id=buyer)
    body = {"listing_id": str(listing_id), "policy": policy()}
    started = asyncio.get_running_loop().time()
    answers = await asyncio.gather(
        *(trading.post("/v1/orders", headers=c, json=body) for _ in range(20))
    )
    elapsed = asyncio.get_running_loop().time() - started
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 10 + [422] * 10, [a.text for a in answers if a.status_code >= 500]
    assert {a.json()["code"] for a in answers if a.status_code == 422} == {"insufficient_funds"}
    account = (await trading.get(f"/v1/accounts/{buyer}", headers=c)).json()
    assert (account["available"]["amount"], account["locked"]["amount"]) == ("0.00", "250.00")
    print(f"20 concurrent orders settled in {elapsed:.2f}s")


async def test_only_a_party_changes_a_trade_auditors_only_read(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "120.00"}
    )
    await fund(trading, token, buyer, "120.00")
    c = token("participant", participant_id=buyer)
    placed = await trading.post(
        "/v1/orders", headers=c, json={"listing_id": str(listing_id), "policy": policy()}
    )
    agreement = placed.json()["agreement"]
    tid = (
        await trading.post(f"/v1/agreements/{agreement['id']}/transfers", headers=c, json={})
    ).json()["id"]
    onlooker = token("auditor", "participant", participant_id=uuid.uuid4())
    assert (await trading.get(f"/v1/transfers/{tid}", headers=onlooker)).status_code == 200
    start = await trading.post(
        f"/v1/transfers/{tid}/start", headers=onlooker, json={"endpoint": "https://x.example/d"}
    )
    assert start.status_code == 403
    assert "access_token" not in start.text
    ended = await trading.post(
        f"/v1/agreements/{agreement['id']}/terminate", headers=onlooker, json={"reason": "x"}
    )
    assert ended.status_code == 403
    stranger = token("participant", participant_id=uuid.uuid4())
    hidden = await trading.post(
        f"/v1/agreements/{agreement['id']}/terminate", headers=stranger, json={"reason": "x"}
    )
    assert hidden.status_code == 404
    got = (await trading.get(f"/v1/agreements/{agreement['id']}", headers=c)).json()
    assert got["escrow"]["status"] == "held"
    assert got["termination_reason"] is None
