"""The DSP 2025-1 HTTPS binding: version metadata, catalog, contract negotiation and transfer
process (datapark as provider or as its member's consumer), under ``/dsp/2025-1``; the
members' own calls to begin a negotiation or transfer with a partner's connector under ``/v1/dsp``.

Every refusal is the protocol's own error message (``CatalogError``,
``ContractNegotiationError``, ``TransferError``) with the status of the typed error, and the
request's transaction is rolled back: a refused message changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from datapark_kit.auth import require_roles
from datapark_kit.errors import ProblemError
from datapark_kit.openapi import KitCode, problems
from datapark_kit.pagination import cursor_id, encode_cursor
from datapark_kit.problems import problem_response
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.dsp import messages as m
from datapark_trading.dsp import schemas as s
from datapark_trading.dsp.schemas import (
    DataAddressOut,
    NegotiationStart,
    Started,
    TransferStart,
    answer,
    message_body,
)
from datapark_trading.dsp.service import DspService
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import DSP, TradingProblem

JSON_LD = "application/json"
log = logging.getLogger("datapark.trading.dsp")


def _error_kind(path: str) -> str:
    if "/negotiations" in path:
        return "ContractNegotiationError"
    if "/transfers" in path:
        return "TransferError"
    return "CatalogError"


def _error(request: Request, error: ProblemError) -> Response:
    """The protocol's error message (``ContractNegotiationError`` …), which is at the same time
    an RFC 9457 problem like every other error of the platform; our process id goes where the
    path names it."""
    log.info(
        "dsp refused %s %s: %s %s (%s)",
        request.method,
        request.url.path,
        error.status,
        error.code,
        error.detail,
    )
    pid = request.path_params.get("pid")
    message = m.error_body(_error_kind(request.url.path), error, providerPid=pid)
    message.pop("code")
    return problem_response(
        error.status, error.title, error.code, error.detail, request.url.path, **message
    )


class DspRoute(UnitOfWorkRoute):
    """The unit of work, with errors answered as DSP error messages (after the rollback)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except ProblemError as error:
                return _error(request, error)
            except RequestValidationError as invalid:
                where = ".".join(str(p) for p in invalid.errors()[0]["loc"])
                return _error(
                    request, m.DspError(f"invalid {where}", code=TradingProblem.INVALID_FIELD)
                )

        return handler


metadata = APIRouter(tags=["dataspace protocol"])
router = APIRouter(
    prefix=m.PATH,
    tags=["dataspace protocol"],
    route_class=DspRoute,
    dependencies=[require_roles("participant", "partner")],
    responses=problems(*DSP, KitCode.NOT_FOUND),
)


def _service(request: Request, session: SessionDep) -> DspService:
    environment = request.app.state.settings.environment
    return DspService(session, public_callbacks_only=environment not in ("development", "test"))


def _protocol_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + m.PATH


@metadata.get(
    "/.well-known/dspace-version",
    responses=answer(200, s.VERSIONS_EXAMPLE, "the versions and where each is served"),
)
async def versions() -> dict[str, Any]:
    """The DSP versions this connector speaks (public, as the protocol requires)."""
    return {
        "protocolVersions": [
            {
                "version": m.VERSION,
                "path": m.PATH,
                "binding": "HTTPS",
                "identifierType": "urn:datapark:participant",
            }
        ]
    }


async def _message(request: Request, kind: str) -> dict[str, Any]:
    return m.parse(await request.body(), kind)


@router.post(
    "/catalog/request",
    openapi_extra=message_body(s.CATALOG_REQUEST_EXAMPLE),
    responses=answer(200, s.CATALOG_EXAMPLE, "the catalog (a page; Link rel=next for more)"),
)
async def catalog_request(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = None,
) -> Response:
    """The catalog: every listed product on every venue as a dataset with its offer. Paged:
    the ``Link`` header (rel="next") names the next page."""
    await _message(request, "CatalogRequestMessage")
    datasets, after = await _service(request, session).catalog(
        cursor_id(cursor), limit, _protocol_url(request)
    )
    body: dict[str, Any] = m.envelope(
        "Catalog",
        **{"@id": f"urn:datapark:catalog:{actor.participant_id}"},
        participantId=m.PLATFORM_PARTICIPANT,
    )
    if datasets:
        body["dataset"] = datasets
    body["service"] = [
        {
            "@id": m.PLATFORM_PARTICIPANT,
            "@type": "DataService",
            "endpointURL": _protocol_url(request),
        }
    ]
    headers = {}
    if after is not None:
        nxt = f"{_protocol_url(request)}/catalog/request?limit={limit}"
        headers["Link"] = f'<{nxt}&cursor={encode_cursor(str(after))}>; rel="next"'
    return JSONResponse(body, headers=headers, media_type=JSON_LD)


@router.get(
    "/catalog/datasets/{pid}",
    responses=answer(200, s.DATASET_EXAMPLE, "the dataset with its offer"),
)
async def dataset_request(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    return await _service(request, session).dataset(pid, _protocol_url(request))


@router.post(
    "/negotiations/request",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=message_body(s.CONTRACT_REQUEST_EXAMPLE),
    responses=answer(201, s.NEGOTIATION_EXAMPLE, "the negotiation opened"),
)
async def contract_request(
    request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """A consumer's connector opens a negotiation (→ REQUESTED); answered with its state."""
    message = await _message(request, "ContractRequestMessage")
    return await _service(request, session).request(actor, message)


@router.get(
    "/negotiations/{pid}",
    responses=answer(200, s.NEGOTIATION_EXAMPLE, "the negotiation's state"),
)
async def negotiation(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    return await _service(request, session).negotiation_state(actor, pid)


@router.post(
    "/negotiations/{pid}/request",
    openapi_extra=message_body(s.COUNTER_REQUEST_EXAMPLE),
    responses=answer(200, s.NEGOTIATION_EXAMPLE, "the negotiation, requested again"),
)
async def counter_request(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """The consumer's counter-request (OFFERED → REQUESTED)."""
    message = await _message(request, "ContractRequestMessage")
    return await _service(request, session).counter_request(actor, pid, message)


@router.post(
    "/negotiations/offers",
    response_class=Response,
    openapi_extra=message_body(s.INITIAL_OFFER_EXAMPLE),
)
async def initial_offer(request: Request, actor: CurrentActor) -> Response:
    """Providers do not open negotiations with datapark's members by offer: a member asks."""
    await _message(request, "ContractOfferMessage")
    raise m.DspError(
        "datapark's members open negotiations themselves: a provider cannot open one by offer",
        code=TradingProblem.UNSUPPORTED,
    )


@router.post(
    "/negotiations/{pid}/offers",
    openapi_extra=message_body(s.CONTRACT_OFFER_EXAMPLE),
    responses=answer(200, s.OFFERED_EXAMPLE, "the negotiation, offered"),
)
async def contract_offer(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """The provider's counter-offer to datapark's member (REQUESTED → OFFERED)."""
    message = await _message(request, "ContractOfferMessage")
    return await _service(request, session).offer(actor, pid, message)


@router.post(
    "/negotiations/{pid}/agreement",
    response_class=Response,
    openapi_extra=message_body(s.CONTRACT_AGREEMENT_EXAMPLE),
)
async def contract_agreement(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    """The provider agrees (REQUESTED | ACCEPTED → AGREED) to the terms on the table."""
    message = await _message(request, "ContractAgreementMessage")
    await _service(request, session).agreement(actor, pid, message)
    return Response(status_code=status.HTTP_200_OK)


@router.post(
    "/negotiations/{pid}/events",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    openapi_extra=message_body(s.NEGOTIATION_EVENT_EXAMPLE),
)
async def negotiation_event(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    """The consumer accepts the current offer (OFFERED → ACCEPTED), or the provider finalizes
    (VERIFIED → FINALIZED: the agreement is concluded and escrow locked)."""
    message = await _message(request, "ContractNegotiationEventMessage")
    await _service(request, session).event(actor, pid, message)
    return Response(status_code=status.HTTP_200_OK)


@router.post(
    "/negotiations/{pid}/agreement/verification",
    response_class=Response,
    openapi_extra=message_body(s.VERIFICATION_EXAMPLE),
)
async def verification(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    """The consumer verifies the agreement (AGREED → VERIFIED)."""
    message = await _message(request, "ContractAgreementVerificationMessage")
    await _service(request, session).verify(actor, pid, message)
    return Response(status_code=status.HTTP_200_OK)


@router.post(
    "/negotiations/{pid}/termination",
    response_class=Response,
    openapi_extra=message_body(s.NEGOTIATION_TERMINATION_EXAMPLE),
)
async def negotiation_termination(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    message = await _message(request, "ContractNegotiationTerminationMessage")
    await _service(request, session).terminate(actor, pid, message)
    return Response(status_code=status.HTTP_200_OK)


@router.post(
    "/transfers/request",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=message_body(s.TRANSFER_REQUEST_EXAMPLE),
    responses=answer(201, s.TRANSFER_EXAMPLE, "the transfer process opened"),
)
async def transfer_request(
    request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    """A consumer's connector asks for delivery under an agreement (→ REQUESTED)."""
    message = await _message(request, "TransferRequestMessage")
    seconds = request.app.state.settings.confirm_after_seconds
    return await _service(request, session).transfer_request(
        actor, message, timedelta(seconds=seconds)
    )


@router.get(
    "/transfers/{pid}",
    responses=answer(200, s.TRANSFER_EXAMPLE, "the transfer process's state"),
)
async def transfer(
    pid: str, request: Request, session: SessionDep, actor: CurrentActor
) -> dict[str, Any]:
    return await _service(request, session).transfer_state(actor, pid)


MOVES = {
    "start": "TransferStartMessage",
    "suspension": "TransferSuspensionMessage",
    "completion": "TransferCompletionMessage",
    "termination": "TransferTerminationMessage",
}


@router.post(
    "/transfers/{pid}/{move}",
    response_class=Response,
    openapi_extra=message_body(s.TRANSFER_MOVE_EXAMPLE),
)
async def transfer_move(
    pid: str, move: str, request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    """The consumer resumes (start), suspends, completes (confirms receipt) or terminates."""
    kind = MOVES.get(move)
    if kind is None:
        raise m.DspError(
            f"no transfer message is sent to {move!r}", code=TradingProblem.UNKNOWN_TYPE
        )
    message = await _message(request, kind)
    await _service(request, session).transfer_move(actor, pid, message, move)
    return Response(status_code=status.HTTP_200_OK)


members = APIRouter(
    prefix="/v1/dsp",
    tags=["dataspace protocol"],
    route_class=UnitOfWorkRoute,
    dependencies=[require_roles("participant", "partner")],
    responses=problems(*DSP, KitCode.NOT_FOUND),
)


@members.post("/negotiations", status_code=status.HTTP_201_CREATED, response_model=Started)
async def start_negotiation(
    body: NegotiationStart, request: Request, session: SessionDep, actor: CurrentActor
) -> Started:
    """A member (or its partner) negotiates with a provider's connector: the negotiation is
    trading's own (GET /v1/negotiations), the ContractRequestMessage follows at once."""
    nid, state = await _service(request, session).start_negotiation(
        actor,
        address=body.connector_address,
        dataset_id=body.dataset_id,
        offer_id=body.offer_id,
        own_address=_protocol_url(request),
    )
    return Started(id=nid, state=state)


@members.post("/transfers", status_code=status.HTTP_201_CREATED, response_model=Started)
async def start_transfer(
    body: TransferStart, request: Request, session: SessionDep, actor: CurrentActor
) -> Started:
    """A member asks a provider's connector for delivery (the TransferRequestMessage follows)."""
    seconds = request.app.state.settings.confirm_after_seconds
    tid, state = await _service(request, session).start_transfer(
        actor,
        agreement_id=body.agreement_id,
        address=body.connector_address,
        fmt=body.format,
        own_address=_protocol_url(request),
        confirm_after=timedelta(seconds=seconds),
    )
    return Started(id=tid, state=state)


@members.get("/transfers/{transfer_id}/data-address", response_model=DataAddressOut)
async def data_address(
    transfer_id: uuid.UUID, request: Request, session: SessionDep, actor: CurrentActor
) -> DataAddressOut:
    """Where the member fetches the data: the address the provider's start message carried."""
    found = await _service(request, session).data_address(actor, transfer_id)
    return DataAddressOut(transfer_id=transfer_id, data_address=found)
