"""Trading keeps catalog's participants through the shared, typed participant subscription:
one handler for the four participant events, one projection call each; a participant the table
cannot hold is a poison event (dead-lettered at once), a database that is down stays transient."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from datapark_contracts.events.participants import ParticipantRegistered
from datapark_eventing.consumer import PoisonEvent, is_transient
from datapark_eventing.projections import PARTICIPANT_EVENTS
from datapark_trading.handlers import event_handlers
from datapark_trading.tables import PARTICIPANTS


class _Session:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.statements: list[tuple[Any, Any]] = []

    async def execute(self, statement: Any, params: Any = None) -> None:
        self.statements.append((statement, params))
        if self.error is not None:
            raise self.error


def _registered() -> ParticipantRegistered:
    return ParticipantRegistered.model_validate(
        {
            "participant_id": str(uuid.uuid4()),
            "name": "Fuzhou Port Data Co., Ltd.",
            "kind": "company",
            "uscc": "91350100MA2XYZ1234",
            "region_code": "350102",
            "operating_region_code": None,
            "roles": ["participant"],
            "park_member": True,
            "group_id": None,
            "status": "active",
            "occurred_at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC).isoformat(),
        }
    )


def _envelope(payload: ParticipantRegistered) -> Any:
    return type("E", (), {"aggseq": 3, "type": payload.event_type})()


def test_the_four_participant_events_have_one_typed_handler() -> None:
    handlers = event_handlers()
    assert len(PARTICIPANT_EVENTS) == 4
    assert {handlers[e.event_type].__name__ for e in PARTICIPANT_EVENTS} == {"project_participant"}


async def test_the_handler_upserts_into_trading_s_projection() -> None:
    session = _Session()
    payload = _registered()
    handler = event_handlers()[payload.event_type]
    await handler(session, _envelope(payload), payload)  # type: ignore[arg-type]
    ((statement, params),) = session.statements
    assert statement.text.startswith(f"INSERT INTO {PARTICIPANTS.schema}.{PARTICIPANTS.name} ")
    assert params["id"] == payload.participant_id
    assert params["aggseq"] == 3


async def test_a_participant_the_table_cannot_hold_is_poison() -> None:
    too_long = sa_exc.DataError("INSERT ...", {}, Exception("value too long"))
    payload = _registered()
    handler = event_handlers()[payload.event_type]
    with pytest.raises(PoisonEvent, match="does not fit the projection"):
        await handler(_Session(too_long), _envelope(payload), payload)  # type: ignore[arg-type]


async def test_a_database_outage_is_not_poison() -> None:
    down = sa_exc.OperationalError("INSERT ...", {}, ConnectionRefusedError("refused"))
    payload = _registered()
    handler = event_handlers()[payload.event_type]
    with pytest.raises(sa_exc.OperationalError) as raised:
        await handler(_Session(down), _envelope(payload), payload)  # type: ignore[arg-type]
    assert is_transient(raised.value)
