"""The relay's fence (#16): one transactional id per service's outbox, granted by the ACLs and
used by the relay the service's workers build; producers are transactional only when asked."""

from __future__ import annotations

from typing import Any

import pytest

from datapark_eventing.access import (
    acl_command_args,
    relay_transactional_id,
    service_access,
    services,
)
from datapark_eventing.kafka import is_transactional, make_producer
from datapark_eventing.relay import OutboxRelay


def test_each_service_may_use_its_relays_transactional_id_and_no_other() -> None:
    access = {a.service: a for a in service_access()}
    for service in services():
        assert access[service].transactional_ids == (f"{service}-relay",)
    assert access["audit"].transactional_ids == ()
    lines = [" ".join(args) for args in acl_command_args()]
    assert (
        "--allow-principal User:rental --operation Write --operation Describe "
        "--transactional-id rental-relay"
    ) in lines
    assert not any("User:rental" in line and "catalog-relay" in line for line in lines)


def test_the_transactional_id_follows_the_deployments_group_prefix() -> None:
    assert relay_transactional_id("trading") == "trading-relay"
    assert relay_transactional_id("trading", "e2e-7.") == "e2e-7.trading-relay"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "rental-relay.rental"),
        ({"transactional_id": "rental-relay"}, "rental-relay"),
        ({"transactional": False}, None),
    ],
    ids=["fenced", "named", "plain"],
)
def test_a_relay_is_transactional_unless_told_otherwise(
    options: dict[str, Any], expected: str | None
) -> None:
    relay = OutboxRelay(
        service="rental",
        schema="rental",
        database_url="postgresql://x/y",
        bootstrap="k:1",
        **options,
    )
    assert relay.transactional_id == expected


async def test_producers_are_transactional_only_with_an_id() -> None:
    fenced = make_producer("k:1", client_id="a", transactional_id="a-relay")
    plain = make_producer("k:1", client_id="a")
    try:
        assert is_transactional(fenced)
        assert not is_transactional(plain)
    finally:
        await fenced.stop()  # never started: closes nothing but marks them closed
        await plain.stop()
