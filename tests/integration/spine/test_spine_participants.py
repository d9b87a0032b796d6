"""The proof slice: catalog registers a participant; trading, rental and subsidy project it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from sqlalchemy import func, select
from support.helpers import KAFKA, eventually, random_uscc

from datapark_contracts.topics import CATALOG_PARTICIPANTS
from datapark_contracts.verify import verify_chain
from datapark_eventing.replay import replay

pytestmark = pytest.mark.integration


def _body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Lanzhou Data Port Co.",
        "uscc": random_uscc("620102"),
        "region_code": "620102",
        "roles": ["participant"],
    }
    body.update(overrides)
    return body


async def _projected(client: Any, participant_id: str) -> Any:
    from datapark_eventing.projections import participant_projection_table  # noqa: F401

    module = __import__(
        f"datapark_{client.base_url.host.split('.')[0]}.tables", fromlist=["PARTICIPANTS"]
    )
    table = module.PARTICIPANTS
    async with client.app.state.database.unit_of_work() as session:
        row = (
            await session.execute(select(table).where(table.c.id == uuid.UUID(participant_id)))
        ).first()
    return row


async def test_registered_participant_reaches_every_projection(
    catalog, trading, rental, subsidy, token
) -> None:
    operator = token("operator")
    response = await catalog.post("/v1/participants", json=_body(), headers=operator)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending"
    approve = await catalog.post(f"/v1/participants/{created['id']}/approve", headers=operator)
    assert approve.status_code == 200

    for service in (trading, rental, subsidy):

        async def active(service: Any = service) -> Any:
            row = await _projected(service, created["id"])
            return row if row is not None and row.status == "active" else None

        row = await eventually(active, timeout=60)
        assert row.uscc == created["uscc"]
        assert row.region_code == "620102"


async def test_every_record_is_a_cloudevent_and_the_chain_verifies(catalog, token) -> None:
    operator = token("operator")
    created = (await catalog.post("/v1/participants", json=_body(), headers=operator)).json()
    pid = created["id"]
    await catalog.patch(f"/v1/participants/{pid}", json={"park_member": True}, headers=operator)
    await catalog.post(f"/v1/participants/{pid}/approve", headers=operator)
    await catalog.post(
        f"/v1/participants/{pid}/suspend", json={"reason": "audit"}, headers=operator
    )

    async def all_four() -> list[Any] | None:
        found = [
            r
            async for r in replay(KAFKA, [CATALOG_PARTICIPANTS])
            if r.envelope is not None and r.envelope.subject == pid
        ]
        return found if len({r.envelope.id for r in found}) >= 4 else None

    records = await eventually(all_four, timeout=60, interval=0.5)
    envelopes = [r.envelope for r in records]
    assert [e.type.split(".")[3] for e in envelopes] == [
        "registered",
        "updated",
        "approved",
        "suspended",
    ]
    assert verify_chain(envelopes) == []
    for env in envelopes:
        event = from_binary_event(
            KafkaMessage(headers=dict(env.headers()), key=env.key, value=env.value())
        )
        assert event.get_id() == str(env.id)
        assert event.get_source() == "/datapark/catalog"
        assert event.get_data()["participant_id"] == pid


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"uscc": "914403001922038217"}, "uscc"),
        ({"uscc": "91440300192203821"}, "uscc"),
        ({"region_code": "11010"}, "region_code"),
        ({"roles": ["emperor"]}, "roles.0"),
        ({"surprise": 1}, "surprise"),
        ({"name": 42}, "name"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    catalog, token, overrides, field
) -> None:
    from datapark_catalog.participants.models import Participant

    async with catalog.app.state.database.unit_of_work() as session:
        before = await session.scalar(select(func.count()).select_from(Participant))
    response = await catalog.post(
        "/v1/participants", json=_body(**overrides), headers=token("operator")
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert field in [e["field"] for e in problem["errors"]]
    async with catalog.app.state.database.unit_of_work() as session:
        after = await session.scalar(select(func.count()).select_from(Participant))
    assert after == before


async def test_missing_fields_and_duplicate_uscc(catalog, token) -> None:
    operator = token("operator")
    missing = await catalog.post("/v1/participants", json={"name": "x"}, headers=operator)
    assert missing.status_code == 422
    assert {"region_code"} <= {e["field"] for e in missing.json()["errors"]}
    body = _body()
    assert (await catalog.post("/v1/participants", json=body, headers=operator)).status_code == 201
    again = await catalog.post("/v1/participants", json=body, headers=operator)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_uscc"
