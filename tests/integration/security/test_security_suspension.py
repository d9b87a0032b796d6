"""Suspension holds against tokens issued before it (issue #17, item 2): once catalog suspends
a participant, every write it attempts with its earlier token is a 403
``participant_not_active`` in catalog (its own table) and in rental, subsidy and trading (as
soon as their participant projection has the suspension), and nothing is created; reads still
work. A participant none of them has suspended writes as before."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from support.credentials import approved_participant, issued_credential, token_form
from support.helpers import eventually

from datapark_catalog.products.models import DataProduct
from datapark_rental.tables import PARTICIPANTS as RENTAL_PARTICIPANTS
from datapark_subsidy.tables import PARTICIPANTS as SUBSIDY_PARTICIPANTS
from datapark_trading.tables import PARTICIPANTS as TRADING_PARTICIPANTS

pytestmark = pytest.mark.integration

PRODUCT = {
    "title": "Suspended telemetry",
    "description": "Per-second vibration of 40 presses.",
    "keywords": ["vibration"],
    "domain": "industrial_manufacturing",
    "product_form": "dataset",
    "classification": "general",
    "provenance": "collected",
    "update_frequency": "daily",
    "format": "parquet",
    "license": "datapark-standard-1.0",
    "contact": "data@press.example",
    "sample_sha256": "a" * 64,
}


async def _token_then_suspend(catalog: Any, token: Any) -> tuple[uuid.UUID, dict[str, str]]:
    """An approved participant's real token, obtained before the participant is suspended."""
    operator = token("operator")
    issued = await issued_credential(
        catalog, token, "Soon Suspended Co.", roles=("participant", "customer")
    )
    pid = uuid.UUID(issued["participant_id"])
    exchanged = await catalog.post(
        "/v1/auth/token", data=token_form(issued["client_id"], issued["client_secret"])
    )
    assert exchanged.status_code == 200, exchanged.text
    earlier = {"Authorization": f"Bearer {exchanged.json()['access_token']}"}
    suspended = await catalog.post(
        f"/v1/participants/{pid}/suspend", json={"reason": "probe"}, headers=operator
    )
    assert suspended.status_code == 200, suspended.text
    return pid, earlier


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "participant_not_active"
    assert problem["participant_status"] == "suspended"


async def _projected_suspended(client: Any, table: Any, pid: uuid.UUID) -> None:
    async def suspended() -> bool:
        async with client.app.state.database.unit_of_work() as session:
            status = await session.scalar(select(table.c.status).where(table.c.id == pid))
        return status == "suspended"

    await eventually(suspended, timeout=90)


async def test_a_suspended_participants_earlier_token_writes_nothing_anywhere(
    catalog, rental, subsidy, trading, token
) -> None:
    pid, earlier = await _token_then_suspend(catalog, token)

    # catalog: its own participants table.
    _refused(await catalog.post("/v1/data-products", json=PRODUCT, headers=earlier))
    async with catalog.app.state.database.unit_of_work() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(DataProduct)
            .where(DataProduct.owner_participant_id == pid)
        )
    assert count == 0
    assert (await catalog.get(f"/v1/participants/{pid}", headers=earlier)).status_code == 200

    # rental, subsidy, trading: their projection of catalog's participants.
    await _projected_suspended(rental, RENTAL_PARTICIPANTS, pid)
    booking = {
        "offering_id": str(uuid.uuid4()),
        "start": "2031-03-02T08:00:00Z",
        "end": "2031-03-02T12:00:00Z",
    }
    _refused(await rental.post("/v1/bookings", json=booking, headers=earlier))
    _refused(
        await rental.post(
            "/v1/bookings", json=booking, headers={**earlier, "Idempotency-Key": "k-1"}
        )
    )

    await _projected_suspended(subsidy, SUBSIDY_PARTICIPANTS, pid)
    application = {"policy": "fujian_data_park", "designation_id": str(uuid.uuid4())}
    _refused(await subsidy.post("/v1/applications", json=application, headers=earlier))

    await _projected_suspended(trading, TRADING_PARTICIPANTS, pid)
    order = {"listing_id": str(uuid.uuid4()), "policy": {"purpose": "x", "territory": ["CN"]}}
    _refused(await trading.post("/v1/orders", json=order, headers=earlier))


async def test_an_active_participant_still_writes(catalog, token) -> None:
    pid = await approved_participant(catalog, token("operator"), "Still Active Co.")
    owner = token("participant", participant_id=pid)
    made = await catalog.post("/v1/data-products", json=PRODUCT, headers=owner)
    assert made.status_code == 201, made.text
