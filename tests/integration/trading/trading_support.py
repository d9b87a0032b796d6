"""Setting up trades for trading's integration tests through the real services: participants
and listed products come from catalog over HTTP and reach trading through Kafka."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from support.helpers import eventually, random_uscc

from datapark_trading.listings.models import Listing
from datapark_trading.settlement.models import LedgerEntryRow
from datapark_trading.tables import PARTICIPANTS


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def participant(
    catalog: Any, trading: Any, token: Any, roles: list[str] | None = None
) -> uuid.UUID:
    """An approved participant, once trading's projection holds it as active."""
    operator = token("operator")
    body = {
        "name": "Jingjin Data Works Co.",
        "uscc": random_uscc("110105"),
        "region_code": "110105",
        "roles": roles or ["participant"],
    }
    created = await catalog.post("/v1/participants", json=body, headers=operator)
    assert created.status_code == 201, created.text
    pid = uuid.UUID(created.json()["id"])
    assert (
        await catalog.post(f"/v1/participants/{pid}/approve", headers=operator)
    ).status_code == 200

    async def active() -> bool:
        async with trading.app.state.database.unit_of_work() as session:
            status = (
                await session.execute(select(PARTICIPANTS.c.status).where(PARTICIPANTS.c.id == pid))
            ).scalar_one_or_none()
        return status == "active"

    await eventually(active, timeout=90)
    return pid


MONEY_TERMS = {"price", "price_per_period", "unit_price", "monthly_maximum", "indicative_price"}


def money_terms(price_terms: dict[str, Any]) -> dict[str, Any]:
    """Price terms as catalog takes them: each amount written here as a bare string ("600.00")
    sent as a Money object in CNY."""
    return {
        k: {"amount": v, "currency": "CNY"} if isinstance(v, str) and k in MONEY_TERMS else v
        for k, v in price_terms.items()
    }


async def listed_product(
    catalog: Any,
    trading: Any,
    token: Any,
    owner_id: uuid.UUID,
    price_terms: dict[str, Any],
    venue: str = "BJIDE",
) -> tuple[str, uuid.UUID]:
    """A product registered and listed on ``venue``; returns (product id, listing id) once
    trading's listing projection takes orders for it."""
    owner = token("participant", participant_id=owner_id)
    body = {
        "title": f"Press telemetry {uuid.uuid4().hex[:6]}",
        "description": "Per-second vibration and temperature of 40 presses.",
        "keywords": ["vibration"],
        "domain": "industrial_manufacturing",
        "product_form": "dataset",
        "classification": "general",
        "provenance": "collected",
        "update_frequency": "daily",
        "format": "parquet",
        "license": "datapark-standard-1.0",
        "contact": "data@press.example",
        "sample_sha256": sha("sample"),
    }
    created = await catalog.post("/v1/data-products", json=body, headers=owner)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await catalog.post(f"/v1/data-products/{pid}/submit", headers=owner)).status_code == 200
    review = await catalog.post(
        f"/v1/data-products/{pid}/review",
        headers=token("operator"),
        json={"decision": "approved", "document_hashes": [sha("deed")]},
    )
    assert review.status_code == 200, review.text
    listed = await catalog.post(
        f"/v1/data-products/{pid}/listings",
        headers=owner,
        json={"venue_code": venue, "price_terms": money_terms(price_terms)},
    )
    assert listed.status_code == 201, listed.text
    listing_id = uuid.UUID(
        next(x["listing_id"] for x in listed.json()["listings"] if x["venue_code"] == venue)
    )

    async def tradable() -> bool:
        async with trading.app.state.database.unit_of_work() as session:
            row = await session.get(Listing, listing_id)
            return row is not None and row.tradable

    await eventually(tradable, timeout=90)
    return pid, listing_id


async def fund(trading: Any, token: Any, participant_id: uuid.UUID, amount: str) -> None:
    deposited = await trading.post(
        f"/v1/accounts/{participant_id}/deposits",
        headers=token("operator"),
        json={"amount": amount, "reference": f"bank-{uuid.uuid4().hex[:8]}"},
    )
    assert deposited.status_code == 201, deposited.text


async def listing_fee_rate(trading: Any, listing_id: uuid.UUID) -> Decimal:
    async with trading.app.state.database.unit_of_work() as session:
        row = await session.get(Listing, listing_id)
        assert row is not None
        rate: Decimal = row.venue_fee_rate
        return rate


async def ledger_entries_of(trading: Any, lock_id: uuid.UUID) -> list[Any]:
    from datapark_trading.settlement.models import LedgerTransactionRow

    async with trading.app.state.database.unit_of_work() as session:
        query = (
            select(LedgerTransactionRow.kind, LedgerEntryRow.account_kind, LedgerEntryRow.amount)
            .join(LedgerEntryRow, LedgerEntryRow.transaction_id == LedgerTransactionRow.id)
            .where(LedgerTransactionRow.lock_id == lock_id)
        )
        return list((await session.execute(query)).all())


def policy(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "predictive maintenance model",
        "permitted_uses": ["analytics", "model_training"],
        "territory": ["CN"],
    }
    body.update(overrides)
    return body
