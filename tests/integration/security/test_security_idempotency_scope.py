"""Idempotency is scoped to the member a partner acts for (issue #17, item 8): the same key and
body sent on behalf of a second member opens that member's own negotiation instead of
replaying the first member's; sent again for the first member, it replays the first."""

from __future__ import annotations

from typing import Any

import pytest
from integration.trading.trading_support import listed_product, participant

from datapark_kit.auth import Principal
from datapark_kit.uow import idempotency_scope

pytestmark = pytest.mark.integration

OBO = "Datapark-On-Behalf-Of"


def _terms(price: str) -> dict[str, Any]:
    return {
        "pricing": {"kind": "fixed", "price": {"amount": price, "currency": "CNY"}},
        "policy": {
            "purpose": "credit scoring",
            "permitted_uses": ["analytics"],
            "territory": ["CN-BJ"],
            "duration_seconds": 30 * 24 * 3600,
        },
    }


async def test_the_same_key_for_two_members_is_two_requests(catalog, trading, token) -> None:
    seller = await participant(catalog, trading, token)
    a = await participant(catalog, trading, token)
    b = await participant(catalog, trading, token)
    partner_id = await participant(catalog, trading, token, roles=["partner"])
    _, listing_id = await listed_product(
        catalog, trading, token, seller, {"kind": "fixed", "price": "10.00"}
    )
    for member in (a, b):
        joined = await trading.put(
            f"/v1/partners/{partner_id}/members/{member}", headers=token("operator")
        )
        assert joined.status_code == 200, joined.text
    partner = token("partner", participant_id=partner_id)
    body = {"listing_id": str(listing_id), "terms": _terms("9.00")}
    key = {"Idempotency-Key": "partner-negotiation-1"}

    for_a = await trading.post("/v1/negotiations", json=body, headers=partner | key | {OBO: str(a)})
    assert for_a.status_code == 201, for_a.text
    for_b = await trading.post("/v1/negotiations", json=body, headers=partner | key | {OBO: str(b)})
    assert for_b.status_code == 201, for_b.text
    assert "idempotent-replayed" not in for_b.headers
    assert for_b.json()["consumer_id"] == str(b)
    assert for_b.json()["id"] != for_a.json()["id"]

    again_for_a = await trading.post(
        "/v1/negotiations", json=body, headers=partner | key | {OBO: str(a)}
    )
    assert again_for_a.headers["idempotent-replayed"] == "true"
    assert again_for_a.json()["id"] == for_a.json()["id"]


def test_the_scope_names_the_client_and_the_member() -> None:
    import uuid

    principal = Principal(uuid.uuid4(), frozenset({"partner"}), "dp_partner", "jti")
    member = uuid.uuid4()
    assert idempotency_scope(principal, None) == "dp_partner"
    assert idempotency_scope(principal, str(member)) == f"dp_partner for {member}"
    # Spelled differently, the same member is the same scope; junk never matches a member.
    assert idempotency_scope(principal, str(member).upper()) == f"dp_partner for {member}"
    junk = idempotency_scope(principal, "x" * 500)
    assert junk.startswith("dp_partner for ~")
    assert len(junk) < 200
