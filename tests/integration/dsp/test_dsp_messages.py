"""What datapark tells a consumer's connector, checked at a real callback receiver: the seller's
moves through the REST API become DSP messages, the agreement message carries trading's own
agreement, and the start message's data address carries an access token the grant accepts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from integration.dsp.dsp_tck_support import free_port, serving
from integration.trading.trading_support import fund, listed_product, participant
from support.helpers import eventually

from datapark_trading.dsp.messages import CONTEXT, PATH

pytestmark = pytest.mark.integration


class Receiver:
    """A consumer's connector callback that records every message it gets."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.app = FastAPI()

        @self.app.post("/{path:path}")
        async def take(path: str, request: Request) -> dict[str, str]:
            self.got.append(("/" + path, await request.json()))
            return {}

    def at(self, suffix: str) -> Any:
        async def probe() -> dict[str, Any] | None:
            found = [body for path, body in self.got if path.endswith(suffix)]
            return found[-1] if found else None

        return probe


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    port = free_port()
    got = Receiver()
    async with serving(got.app, port):
        yield got, f"http://127.0.0.1:{port}/cb"


def msg(kind: str, **fields: Any) -> dict[str, Any]:
    return {"@context": [CONTEXT], "@type": kind, **fields}


async def test_the_seller_s_moves_reach_the_consumer_s_connector(
    catalog: Any, trading: Any, token: Any, receiver: tuple[Receiver, str]
) -> None:
    got, callback = receiver
    seller_id = await participant(catalog, trading, token)
    buyer_id = await participant(catalog, trading, token)
    _, listing = await listed_product(
        catalog, trading, token, seller_id, {"kind": "fixed", "price": "120.00"}
    )
    await fund(trading, token, buyer_id, "500.00")
    seller = token("participant", participant_id=seller_id)
    buyer = token("participant", participant_id=buyer_id)

    consumer_pid = f"urn:uuid:{uuid.uuid4()}"
    opened = await trading.post(
        f"{PATH}/negotiations/request",
        headers=buyer,
        json=msg(
            "ContractRequestMessage",
            consumerPid=consumer_pid,
            callbackAddress=callback,
            offer={
                "@id": f"urn:datapark:offer:{listing}",
                "@type": "Offer",
                "permission": [{"action": "use"}],
            },
        ),
    )
    assert opened.status_code == 201, opened.text
    pid = opened.json()["providerPid"]
    ids = {"providerPid": pid, "consumerPid": consumer_pid}

    # the seller counter-offers over REST: the connector gets a ContractOfferMessage
    terms = (await trading.get(f"/v1/negotiations/{pid}", headers=seller)).json()["offers"][0]
    terms["terms"]["pricing"]["price"]["amount"] = "110.00"
    countered = await trading.post(
        f"/v1/negotiations/{pid}/offers", headers=seller, json={"terms": terms["terms"]}
    )
    assert countered.status_code == 200, countered.text
    offer = await eventually(got.at(f"/cb/negotiations/{consumer_pid}/offers"))
    assert offer["@type"] == "ContractOfferMessage"
    assert {k: offer[k] for k in ids} == ids
    assert offer["offer"]["target"] == str(listing)
    price = offer["offer"]["obligation"][0]["constraint"]
    assert {"leftOperand": "payAmount", "operator": "eq", "rightOperand": "110.00"} in price

    accepted = await trading.post(
        f"{PATH}/negotiations/{pid}/events",
        headers=buyer,
        json=msg("ContractNegotiationEventMessage", **ids, eventType="ACCEPTED"),
    )
    assert accepted.status_code == 200, accepted.text
    assert (await trading.post(f"/v1/negotiations/{pid}/agree", headers=seller)).status_code == 200
    agreement = await eventually(got.at(f"/cb/negotiations/{consumer_pid}/agreement"))
    rest = (await trading.get(f"/v1/negotiations/{pid}", headers=buyer)).json()
    assert agreement["agreement"]["@id"] == rest["agreement_id"]
    assert agreement["agreement"]["@type"] == "Agreement"
    assert agreement["agreement"]["assignee"] == f"urn:datapark:participant:{buyer_id}"
    assert agreement["agreement"]["assigner"] == f"urn:datapark:participant:{seller_id}"
    verified = await trading.post(
        f"{PATH}/negotiations/{pid}/agreement/verification",
        headers=buyer,
        json=msg("ContractAgreementVerificationMessage", **ids),
    )
    assert verified.status_code == 200, verified.text
    assert (
        await trading.post(f"/v1/negotiations/{pid}/finalize", headers=seller)
    ).status_code == 200
    finalized = await eventually(got.at(f"/cb/negotiations/{consumer_pid}/events"))
    assert finalized["eventType"] == "FINALIZED"
    # the buyer's own moves are never echoed back to its connector
    assert not [p for p, _ in got.got if p.endswith(("/verification", "/request"))]

    # delivery: the start message's data address is the grant, its token works for usage
    transfer_pid = f"urn:uuid:{uuid.uuid4()}"
    requested = await trading.post(
        f"{PATH}/transfers/request",
        headers=buyer,
        json=msg(
            "TransferRequestMessage",
            consumerPid=transfer_pid,
            agreementId=rest["agreement_id"],
            format="HttpData-PULL",
            callbackAddress=callback,
        ),
    )
    assert requested.status_code == 201, requested.text
    tid = requested.json()["providerPid"]
    started = await trading.post(
        f"/v1/transfers/{tid}/start",
        headers=seller,
        json={"endpoint": "https://data.seller.example/v1/presses"},
    )
    assert started.status_code == 200, started.text
    start = await eventually(got.at(f"/cb/transfers/{transfer_pid}/start"))
    address = start["dataAddress"]
    assert address["endpoint"] == "https://data.seller.example/v1/presses"
    properties = {p["name"]: p["value"] for p in address["endpointProperties"]}
    assert properties["authType"] == "bearer"

    def usage(access_token: str) -> dict[str, Any]:
        return {"access_token": access_token, "use": "analytics", "region": "CN-BJ", "calls": 3}

    used = await trading.post("/v1/usage", headers=seller, json=usage(properties["authorization"]))
    assert used.status_code == 201, used.text
    assert used.json()["transfer_id"] == tid
    assert used.json()["total_calls"] == 3
    # the token of the REST answer was replaced by the one the connector holds
    stale = await trading.post(
        "/v1/usage", headers=seller, json=usage(started.json()["access_token"])
    )
    assert stale.status_code == 404

    suspended = await trading.post(
        f"/v1/transfers/{tid}/suspend", headers=seller, json={"reason": "maintenance window"}
    )
    assert suspended.status_code == 200, suspended.text
    suspension = await eventually(got.at(f"/cb/transfers/{transfer_pid}/suspension"))
    assert suspension["reason"] == ["maintenance window"]
