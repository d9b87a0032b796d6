"""Request and response models of the members' DSP endpoints (``/v1/dsp``)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel
from datapark_trading.dsp.messages import (
    CONTEXT,
    OFFER_PREFIX,
    PATH,
    PLATFORM_PARTICIPANT,
    PULL_FORMAT,
    VERSION,
)
from datapark_trading.dsp.odrl import policy_of
from datapark_trading.terms.schemas import TERMS_EXAMPLE, Terms


class NegotiationStart(RequestModel):
    """Negotiate over DSP with a partner's provider connector for a dataset listed on datapark."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "connector_address": "https://connector.provider.example.com/dsp",
                    "dataset_id": "0f3a6c1e-5b2d-4c8e-9a71-2d4b6e8f1a35",
                    "offer_id": "urn:datapark:offer:0f3a6c1e-5b2d-4c8e-9a71-2d4b6e8f1a35",
                }
            ]
        }
    )

    connector_address: str = Field(min_length=8, max_length=2000)
    dataset_id: str = Field(min_length=1, max_length=2000, description="the listing id")
    offer_id: str = Field(min_length=1, max_length=2000, description="the provider's offer id")


class TransferStart(RequestModel):
    """Ask a partner's provider connector for delivery under an agreement, over DSP."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreement_id": "0193a7e2-6c1d-7b3a-9e5f-2d4c6b8a0e13",
                    "connector_address": "https://connector.provider.example.com/dsp",
                    "format": "HttpData-PULL",
                }
            ]
        }
    )

    agreement_id: uuid.UUID
    connector_address: str = Field(min_length=8, max_length=2000)
    format: str = Field(default=PULL_FORMAT, max_length=200)


class Started(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": "6e2b8d4f-1a3c-4e5b-9d7f-0c2a4e6b8d13", "state": "REQUESTED"}]
        }
    )

    id: uuid.UUID
    state: str


class DataAddressOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "transfer_id": "0193a7e3-8d2f-7c4b-a1e6-3f5d7c9b1a24",
                    "data_address": {
                        "@type": "DataAddress",
                        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
                        "endpoint": "https://data.provider.example.com/v2/readings",
                        "endpointProperties": [
                            {
                                "@type": "EndpointProperty",
                                "name": "authorization",
                                "value": "Vq3kX9mZb2R7tN1yP6wE4sLcH0aJdF8gUiOo5KrQeTz",
                            },
                            {"@type": "EndpointProperty", "name": "authType", "value": "bearer"},
                            {
                                "@type": "EndpointProperty",
                                "name": "expiresAt",
                                "value": "2026-12-30T09:25:00Z",
                            },
                        ],
                    },
                }
            ]
        }
    )

    transfer_id: uuid.UUID
    data_address: dict[str, Any] | None


# --- The Dataspace Protocol's own messages (JSON-LD, compact, DSP 2025-1 context) ------------
# Read and written as the protocol prescribes (``dsp/messages.py``), not as pydantic models;
# these examples document each operation's message and answer in the OpenAPI document.

_LISTING = "0f3a6c1e-5b2d-4c8e-9a71-2d4b6e8f1a35"
_OURS = "6e2b8d4f-1a3c-4e5b-9d7f-0c2a4e6b8d13"
"""Our process id (a negotiation's or transfer's id) where datapark is the provider."""
_THEIRS = "urn:uuid:4f1c2a7e-9b3d-4e8f-a6c5-2d7b9e1f3a08"
"""The counter-party connector's own process id."""
_OFFER = policy_of(
    Terms.model_validate(TERMS_EXAMPLE).to_wire(),
    policy_id=f"{OFFER_PREFIX}{_LISTING}",
    kind="Offer",
    target=_LISTING,
)
_DATASET: dict[str, Any] = {
    "@id": _LISTING,
    "@type": "Dataset",
    "title": "Fuzhou port container dwell times, hourly",
    "hasPolicy": [{k: v for k, v in _OFFER.items() if k != "target"}],
    "distribution": [
        {
            "@type": "Distribution",
            "format": PULL_FORMAT,
            "accessService": {
                "@id": PLATFORM_PARTICIPANT,
                "@type": "DataService",
                "endpointURL": "https://trading.datapark.example.cn/dsp/2025-1",
            },
        }
    ],
}


def _message(kind: str, **fields: Any) -> dict[str, Any]:
    return {"@context": [CONTEXT], "@type": kind, **fields}


_NEGOTIATION = _message(
    "ContractNegotiation", providerPid=_OURS, consumerPid=_THEIRS, state="REQUESTED"
)
_TRANSFER = _message(
    "TransferProcess",
    providerPid="0193a7e3-8d2f-7c4b-a1e6-3f5d7c9b1a24",
    consumerPid=_THEIRS,
    state="REQUESTED",
)
_CALLBACK = "https://connector.consumer.example.com/dsp"

VERSIONS_EXAMPLE: dict[str, Any] = {
    "protocolVersions": [
        {
            "version": VERSION,
            "path": PATH,
            "binding": "HTTPS",
            "identifierType": "urn:datapark:participant",
        }
    ]
}
CATALOG_REQUEST_EXAMPLE = _message("CatalogRequestMessage", filter=[])
CATALOG_EXAMPLE = _message(
    "Catalog",
    **{"@id": "urn:datapark:catalog:8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84"},
    participantId=PLATFORM_PARTICIPANT,
    dataset=[_DATASET],
    service=[
        {
            "@id": PLATFORM_PARTICIPANT,
            "@type": "DataService",
            "endpointURL": "https://trading.datapark.example.cn/dsp/2025-1",
        }
    ],
)
DATASET_EXAMPLE = {"@context": [CONTEXT], **_DATASET}
CONTRACT_REQUEST_EXAMPLE = _message(
    "ContractRequestMessage", consumerPid=_THEIRS, callbackAddress=_CALLBACK, offer=_OFFER
)
COUNTER_REQUEST_EXAMPLE = _message(
    "ContractRequestMessage",
    providerPid=_OURS,
    consumerPid=_THEIRS,
    callbackAddress=_CALLBACK,
    offer=_OFFER,
)
NEGOTIATION_EXAMPLE = _NEGOTIATION
OFFERED_EXAMPLE = {**_NEGOTIATION, "state": "OFFERED"}
CONTRACT_OFFER_EXAMPLE = _message(
    "ContractOfferMessage",
    providerPid=_THEIRS,
    consumerPid=_OURS,
    callbackAddress="https://connector.provider.example.com/dsp",
    offer=_OFFER,
)
INITIAL_OFFER_EXAMPLE = _message(
    "ContractOfferMessage",
    providerPid=_THEIRS,
    callbackAddress="https://connector.provider.example.com/dsp",
    offer=_OFFER,
)
CONTRACT_AGREEMENT_EXAMPLE = _message(
    "ContractAgreementMessage",
    providerPid=_THEIRS,
    consumerPid=_OURS,
    callbackAddress="https://connector.provider.example.com/dsp",
    agreement={
        **{k: v for k, v in _OFFER.items() if k not in ("@id", "@type")},
        "@id": "urn:uuid:0b7e3d1a-6c4f-4a2e-9d8b-5f1a3c7e9b24",
        "@type": "Agreement",
        "assigner": "urn:datapark:participant:3c9e1f0a-7b24-4d6a-8e15-9f2c4b7d1a60",
        "assignee": "urn:datapark:participant:8a1d5e2c-4f63-4b9a-a7c0-1e6d3b9f2c84",
        "timestamp": "2026-11-30T09:18:00Z",
    },
)
NEGOTIATION_EVENT_EXAMPLE = _message(
    "ContractNegotiationEventMessage", providerPid=_OURS, consumerPid=_THEIRS, eventType="ACCEPTED"
)
VERIFICATION_EXAMPLE = _message(
    "ContractAgreementVerificationMessage", providerPid=_OURS, consumerPid=_THEIRS
)
NEGOTIATION_TERMINATION_EXAMPLE = _message(
    "ContractNegotiationTerminationMessage",
    providerPid=_OURS,
    consumerPid=_THEIRS,
    reason=["the consumer's budget for this purchase was withdrawn"],
)
TRANSFER_REQUEST_EXAMPLE = _message(
    "TransferRequestMessage",
    consumerPid=_THEIRS,
    agreementId="0193a7e2-6c1d-7b3a-9e5f-2d4c6b8a0e13",
    format=PULL_FORMAT,
    callbackAddress=_CALLBACK,
)
TRANSFER_EXAMPLE = _TRANSFER
TRANSFER_MOVE_EXAMPLE = _message(
    "TransferCompletionMessage",
    providerPid="0193a7e3-8d2f-7c4b-a1e6-3f5d7c9b1a24",
    consumerPid=_THEIRS,
)


def message_body(example: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a route's DSP message (read raw by the route)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }


def answer(status: int, example: dict[str, Any], description: str) -> dict[int | str, Any]:
    """``responses`` giving a route's JSON-LD answer its example."""
    return {
        status: {
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    }
