"""The DSP binding's own protocol tests, through the real trading app: identity from the token,
bad input answered with the protocol's error message and no state change, pagination, and the
negotiation a connector begins being trading's own (same id, same REST view, same agreement)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from integration.trading.trading_support import fund, listed_product, participant

from datapark_trading.dsp.messages import CONTEXT, PATH

pytestmark = pytest.mark.integration
CALLBACK = "http://127.0.0.1:9/callback"


def msg(kind: str, **fields: Any) -> dict[str, Any]:
    return {"@context": [CONTEXT], "@type": kind, **fields}


def request_message(listing: uuid.UUID, **offer: Any) -> dict[str, Any]:
    return msg(
        "ContractRequestMessage",
        consumerPid=f"urn:uuid:{uuid.uuid4()}",
        callbackAddress=CALLBACK,
        offer={
            "@id": f"urn:datapark:offer:{listing}",
            "@type": "Offer",
            "target": str(listing),
            "permission": [{"action": "use", "constraint": offer.get("constraints", [])}],
        },
    )


@pytest.fixture(scope="module")
async def parties(catalog: Any, trading: Any, token: Any) -> dict[str, Any]:
    seller = await participant(catalog, trading, token)
    buyer = await participant(catalog, trading, token)
    other = await participant(catalog, trading, token)
    listings = [
        (
            await listed_product(
                catalog, trading, token, seller, {"kind": "fixed", "price": "80.00"}
            )
        )[1]
        for _ in range(3)
    ]
    await fund(trading, token, buyer, "1000.00")
    return {
        "seller": token("participant", participant_id=seller),
        "buyer": token("participant", participant_id=buyer),
        "other": token("participant", participant_id=other),
        "buyer_id": buyer,
        "seller_id": seller,
        "listings": listings,
    }


async def negotiations_of(trading: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    page = await trading.get("/v1/negotiations", headers=headers, params={"limit": 200})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_the_version_endpoint_is_public_and_names_2025_1(trading: Any) -> None:
    answer = await trading.get("/.well-known/dspace-version")
    assert answer.status_code == 200
    (version,) = answer.json()["protocolVersions"]
    assert version == {
        "version": "2025-1",
        "path": PATH,
        "binding": "HTTPS",
        "identifierType": "urn:datapark:participant",
    }


async def test_protocol_endpoints_need_a_platform_token(trading: Any) -> None:
    answer = await trading.post(f"{PATH}/catalog/request", json=msg("CatalogRequestMessage"))
    assert answer.status_code == 401
    assert answer.json()["@type"] == "CatalogError"
    forged = await trading.post(
        f"{PATH}/catalog/request",
        json=msg("CatalogRequestMessage"),
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401


async def test_the_catalog_pages_with_a_link_header(trading: Any, parties: dict[str, Any]) -> None:
    """Newest listings first, two per page, each page linked to the next, none repeated."""
    mine = {str(x) for x in parties["listings"]}
    seen: list[str] = []
    url: str | None = f"{PATH}/catalog/request?limit=2"
    while url is not None and not mine <= set(seen) and len(seen) < 400:
        page = await trading.post(url, json=msg("CatalogRequestMessage"), headers=parties["buyer"])
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["@type"] == "Catalog"
        assert body["participantId"] == "urn:datapark:trading"
        assert len(body["dataset"]) == 2
        for dataset in body["dataset"]:
            seen.append(dataset["@id"])
            if dataset["@id"] in mine:
                (offer,) = dataset["hasPolicy"]
                assert offer["@id"] == f"urn:datapark:offer:{dataset['@id']}"
                assert offer["obligation"][0]["action"] == "compensate"
                assert {"leftOperand": "payAmount", "operator": "eq", "rightOperand": "80.00"} in (
                    offer["obligation"][0]["constraint"]
                )
        link = page.headers.get("Link")
        url = None
        if link is not None:
            assert link.endswith('rel="next"')
            url = link[link.index("<") + 1 : link.index(">")].replace("http://trading.test", "")
    assert mine <= set(seen)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=uuid.UUID, reverse=True)


async def test_a_bad_page_size_is_a_catalog_error(trading: Any, parties: dict[str, Any]) -> None:
    answer = await trading.post(
        f"{PATH}/catalog/request",
        json=msg("CatalogRequestMessage"),
        headers=parties["buyer"],
        params={"limit": 0},
    )
    assert answer.status_code == 400
    assert answer.json()["@type"] == "CatalogError"
    assert answer.json()["reason"] == ["invalid query.limit"]


async def test_a_consumer_pid_names_one_negotiation(trading: Any, parties: dict[str, Any]) -> None:
    asked = request_message(parties["listings"][0])
    first = await trading.post(f"{PATH}/negotiations/request", json=asked, headers=parties["other"])
    assert first.status_code == 201, first.text
    before = await negotiations_of(trading, parties["other"])
    again = await trading.post(f"{PATH}/negotiations/request", json=asked, headers=parties["other"])
    assert again.status_code == 409
    assert again.json()["code"] == "pid_taken"
    assert await negotiations_of(trading, parties["other"]) == before


async def test_an_unknown_dataset_is_a_catalog_error(trading: Any, parties: dict[str, Any]) -> None:
    for dataset in (str(uuid.uuid4()), "ACN0101"):
        answer = await trading.get(f"{PATH}/catalog/datasets/{dataset}", headers=parties["buyer"])
        assert answer.status_code == 404
        assert answer.json()["@type"] == "CatalogError"
        assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"@context": ', 400, "malformed_json_ld"),
        (json.dumps({"@type": "ContractRequestMessage"}).encode(), 400, "malformed_json_ld"),
        (json.dumps(msg("ContractOfferMessage")).encode(), 400, "unknown_type"),
        (json.dumps(msg("ContractRequestMessage", consumerPid="c")).encode(), 400, "invalid_field"),
    ],
)
async def test_bad_requests_are_negotiation_errors_and_open_nothing(
    trading: Any, parties: dict[str, Any], body: bytes, status: int, code: str
) -> None:
    before = await negotiations_of(trading, parties["buyer"])
    answer = await trading.post(
        f"{PATH}/negotiations/request",
        content=body,
        headers={**parties["buyer"], "Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    # the protocol's error message, and at the same time the platform's RFC 9457 problem
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["@context"] == [CONTEXT]
    assert problem["@type"] == "ContractNegotiationError"
    assert problem["code"] == code
    assert problem["reason"] == [problem["detail"]]
    assert problem["status"] == status
    assert problem["consumerPid"] == problem["providerPid"] == "urn:datapark:unknown"
    assert await negotiations_of(trading, parties["buyer"]) == before


async def test_an_unenforceable_policy_is_refused_and_opens_nothing(
    trading: Any, parties: dict[str, Any]
) -> None:
    before = await negotiations_of(trading, parties["buyer"])
    asked = request_message(
        parties["listings"][0],
        constraints=[{"leftOperand": "dateTime", "operator": "lteq", "rightOperand": "2031-01-01"}],
    )
    answer = await trading.post(
        f"{PATH}/negotiations/request", json=asked, headers=parties["buyer"]
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "policy_not_enforceable"
    assert "dateTime" in answer.json()["reason"][0]
    assert await negotiations_of(trading, parties["buyer"]) == before


async def test_a_dsp_negotiation_is_tradings_own_and_moves_only_in_order(
    trading: Any, parties: dict[str, Any]
) -> None:
    listing = parties["listings"][1]
    asked = request_message(
        listing,
        constraints=[
            {"leftOperand": "purpose", "operator": "eq", "rightOperand": "credit risk"},
            {"leftOperand": "spatial", "operator": "isAnyOf", "rightOperand": ["CN-BJ"]},
        ],
    )
    # the body cannot name the consumer: it is the token's participant
    asked["assignee"] = str(uuid.uuid4())
    opened = await trading.post(
        f"{PATH}/negotiations/request", json=asked, headers=parties["buyer"]
    )
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["@type"] == "ContractNegotiation"
    assert body["state"] == "REQUESTED"
    assert body["consumerPid"] == asked["consumerPid"]
    pid = body["providerPid"]
    rest = await trading.get(f"/v1/negotiations/{pid}", headers=parties["seller"])
    assert rest.status_code == 200
    assert rest.json()["consumer_id"] == str(parties["buyer_id"])
    assert rest.json()["offers"][0]["terms"]["policy"]["purpose"] == "credit risk"
    assert rest.json()["offers"][0]["terms"]["policy"]["territory"] == ["CN-BJ"]

    ids = {"providerPid": pid, "consumerPid": asked["consumerPid"]}
    # another participant's process does not exist for it, and nothing changes
    for method, path, message in (
        ("GET", f"{PATH}/negotiations/{pid}", None),
        (
            "POST",
            f"{PATH}/negotiations/{pid}/termination",
            msg("ContractNegotiationTerminationMessage", **ids, code="x"),
        ),
    ):
        answer = await trading.request(method, path, json=message, headers=parties["other"])
        assert answer.status_code == 404
        assert answer.json()["@type"] == "ContractNegotiationError"
        assert answer.json()["providerPid"] == pid
    # out of order: verification before any agreement; the provider's event from a consumer
    early = await trading.post(
        f"{PATH}/negotiations/{pid}/agreement/verification",
        json=msg("ContractAgreementVerificationMessage", **ids),
        headers=parties["buyer"],
    )
    assert early.status_code == 409
    assert early.json()["code"] == "invalid_state"
    finalized = await trading.post(
        f"{PATH}/negotiations/{pid}/events",
        json=msg("ContractNegotiationEventMessage", **ids, eventType="FINALIZED"),
        headers=parties["buyer"],
    )
    assert finalized.status_code == 400
    assert finalized.json()["code"] == "invalid_event"
    # a message for another process id is refused too
    wrong = await trading.post(
        f"{PATH}/negotiations/{pid}/termination",
        json=msg("ContractNegotiationTerminationMessage", providerPid=pid, consumerPid="urn:x"),
        headers=parties["buyer"],
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "pid_mismatch"
    # a message meant for a consumer's connector, sent to the provider side
    agreement = await trading.post(
        f"{PATH}/negotiations/{pid}/agreement",
        json=msg("ContractAgreementMessage", **ids, agreement={"@id": "a", "@type": "Agreement"}),
        headers=parties["buyer"],
    )
    assert agreement.status_code == 400
    assert agreement.json()["code"] == "wrong_side"
    state = await trading.get(f"{PATH}/negotiations/{pid}", headers=parties["buyer"])
    assert state.json()["state"] == "REQUESTED"

    # the provider agrees over REST; the consumer verifies over DSP; finalize concludes the
    # same agreement (and its escrow) as a REST negotiation would
    agreed = await trading.post(f"/v1/negotiations/{pid}/agree", headers=parties["seller"])
    assert agreed.status_code == 200, agreed.text
    verified = await trading.post(
        f"{PATH}/negotiations/{pid}/agreement/verification",
        json=msg("ContractAgreementVerificationMessage", **ids),
        headers=parties["buyer"],
    )
    assert verified.status_code == 200, verified.text
    done = await trading.post(f"/v1/negotiations/{pid}/finalize", headers=parties["seller"])
    assert done.status_code == 200, done.text
    agreement_id = done.json()["agreement_id"]
    found = await trading.get(f"/v1/agreements/{agreement_id}", headers=parties["buyer"])
    assert found.status_code == 200
    late = await trading.post(
        f"{PATH}/negotiations/{pid}/termination",
        json=msg("ContractNegotiationTerminationMessage", **ids, code="late"),
        headers=parties["buyer"],
    )
    assert late.status_code == 409
    final = await trading.get(f"{PATH}/negotiations/{pid}", headers=parties["buyer"])
    assert final.json()["state"] == "FINALIZED"

    # transfers under it: only the pull format, only the agreement's consumer, only in order
    def transfer(**extra: Any) -> dict[str, Any]:
        fields = {
            "consumerPid": f"urn:uuid:{uuid.uuid4()}",
            "agreementId": agreement_id,
            "format": "HttpData-PULL",
            "callbackAddress": CALLBACK,
        }
        return msg("TransferRequestMessage", **{**fields, **extra})

    push = await trading.post(
        f"{PATH}/transfers/request", json=transfer(format="HttpData-PUSH"), headers=parties["buyer"]
    )
    assert push.status_code == 400
    assert push.json()["@type"] == "TransferError"
    assert push.json()["code"] == "unsupported_format"
    stranger = await trading.post(
        f"{PATH}/transfers/request", json=transfer(), headers=parties["other"]
    )
    assert stranger.status_code == 404
    listed = await trading.get("/v1/transfers", headers=parties["buyer"])
    assert listed.json()["items"] == []
    requested = await trading.post(
        f"{PATH}/transfers/request", json=transfer(), headers=parties["buyer"]
    )
    assert requested.status_code == 201, requested.text
    tpid = requested.json()["providerPid"]
    tids = {"providerPid": tpid, "consumerPid": requested.json()["consumerPid"]}
    complete = await trading.post(
        f"{PATH}/transfers/{tpid}/completion",
        json=msg("TransferCompletionMessage", **tids),
        headers=parties["buyer"],
    )
    assert complete.status_code == 409
    unknown = await trading.post(
        f"{PATH}/transfers/{tpid}/pause",
        json=msg("TransferSuspensionMessage", **tids),
        headers=parties["buyer"],
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "unknown_type"
    state_now = await trading.get(f"{PATH}/transfers/{tpid}", headers=parties["buyer"])
    assert state_now.json() == {
        "@context": [CONTEXT],
        "@type": "TransferProcess",
        **tids,
        "state": "REQUESTED",
    }


async def test_a_member_negotiates_with_a_partners_connector_as_consumer(
    trading: Any, parties: dict[str, Any]
) -> None:
    listing = parties["listings"][2]
    started = await trading.post(
        "/v1/dsp/negotiations",
        headers=parties["buyer"],
        json={
            "connector_address": "http://127.0.0.1:9/dsp",
            "dataset_id": str(listing),
            "offer_id": "partner-offer-1",
        },
    )
    assert started.status_code == 201, started.text
    nid = started.json()["id"]
    assert started.json()["state"] == "REQUESTED"
    rest = await trading.get(f"/v1/negotiations/{nid}", headers=parties["seller"])
    assert rest.json()["consumer_id"] == str(parties["buyer_id"])
    # the provider's messages come with the provider's token, never anyone else's
    offer = msg(
        "ContractOfferMessage",
        providerPid="urn:partner:1",
        consumerPid=nid,
        offer={
            "@id": "o2",
            "@type": "Offer",
            "target": str(listing),
            "permission": [{"action": "use"}],
        },
    )
    stranger = await trading.post(
        f"{PATH}/negotiations/{nid}/offers", json=offer, headers=parties["other"]
    )
    assert stranger.status_code == 404
    buyer_itself = await trading.post(
        f"{PATH}/negotiations/{nid}/offers", json=offer, headers=parties["buyer"]
    )
    assert buyer_itself.status_code == 404
    countered = await trading.post(
        f"{PATH}/negotiations/{nid}/offers", json=offer, headers=parties["seller"]
    )
    assert countered.status_code == 200, countered.text
    assert countered.json()["state"] == "OFFERED"
    assert countered.json()["providerPid"] == "urn:partner:1"
    refused = await trading.post(
        "/v1/dsp/negotiations",
        headers=parties["buyer"],
        json={
            "connector_address": "ftp://partner.example/dsp",
            "dataset_id": str(listing),
            "offer_id": "o",
        },
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_field"
    assert "connector_address" in refused.json()["detail"]
