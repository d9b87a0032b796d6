"""DSP 2025-1 messages in compact JSON-LD: reading what a connector sends, writing what we send.

Every message carries the DSP context (``https://w3id.org/dspace/2025/1/context.jsonld``) and
uses its terms in compact form, as the protocol prescribes for the HTTPS binding. A body that is
not a JSON object, lacks that context, or has another ``@type`` than the endpoint takes is
refused with the protocol's error message (400) before anything changes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from datapark_kit.errors import ProblemError
from datapark_trading.problems import TradingProblem

VERSION = "2025-1"
PATH = "/dsp/2025-1"
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
NAMESPACE = "https://w3id.org/dspace/2025/1/"
PLATFORM_PARTICIPANT = "urn:datapark:trading"
"""The participant id datapark's own connector presents (the catalog's ``participantId``)."""
PARTICIPANT_PREFIX = "urn:datapark:participant:"
OFFER_PREFIX = "urn:datapark:offer:"
PULL_FORMAT = "HttpData-PULL"
HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"


class DspError(ProblemError):
    """A refusal the protocol answers with its own error message (``...Error`` body)."""

    status = 400
    title = "DSP message refused"

    def __init__(self, detail: str, *, code: str = "bad_request") -> None:
        super().__init__(detail, code=code)


def participant_urn(participant_id: object) -> str:
    return f"{PARTICIPANT_PREFIX}{participant_id}"


def parse(body: bytes, expected: str) -> dict[str, Any]:
    """The message of type ``expected`` in ``body``, or a 400 naming what is wrong."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DspError("the body is not JSON", code=TradingProblem.MALFORMED_JSON_LD) from None
    if not isinstance(message, dict):
        raise DspError("a DSP message is a JSON-LD object", code=TradingProblem.MALFORMED_JSON_LD)
    context = message.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if CONTEXT not in contexts:
        raise DspError(
            f"the message does not use the DSP context {CONTEXT}",
            code=TradingProblem.MALFORMED_JSON_LD,
        )
    kind = message.get("@type")
    if kind not in (expected, f"dspace:{expected}", f"{NAMESPACE}{expected}"):
        raise DspError(f"@type {kind!r} is not a {expected}", code=TradingProblem.UNKNOWN_TYPE)
    return message


def text(message: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    """A string property, refused (400 naming it) when required and missing or not a string."""
    value = message.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        raise DspError(f"{name} is missing or not a string", code=TradingProblem.INVALID_FIELD)
    return value


def envelope(kind: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"@context": [CONTEXT], "@type": kind}
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


def stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def error_body(kind: str, error: ProblemError, **pids: str | None) -> dict[str, Any]:
    """``ContractNegotiationError``, ``TransferError`` or ``CatalogError`` for ``error``."""
    body = envelope(kind, code=error.code, reason=[error.detail])
    if kind != "CatalogError":
        body["providerPid"] = pids.get("providerPid") or "urn:datapark:unknown"
        body["consumerPid"] = pids.get("consumerPid") or "urn:datapark:unknown"
    return body


def odrl_target(value: Any) -> str:
    """An ODRL target given as an IRI string or as ``{"@id": ...}``."""
    if isinstance(value, dict):
        value = value.get("@id")
    if not isinstance(value, str):
        raise DspError("the offer's target is not an identifier", code=TradingProblem.INVALID_FIELD)
    return value
