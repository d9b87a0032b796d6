"""The HTTP unit of work: one session and one transaction per request, committed before the
response leaves, with idempotent POST handling in the same transaction.

Routers use ``UnitOfWorkRoute`` as their ``route_class``; endpoints get the session through
``SessionDep``. Errors raised by the endpoint roll the transaction back.

Every write (POST, PUT, PATCH, DELETE) by a verified caller first checks, in the same
transaction, the caller's participant in the service's own participant table (catalog's
participants, the others' projection of them): a suspended participant gets 403
``participant_not_active`` however fresh its token is. A participant the table does not hold
(yet) is not refused here; the domain rules decide about it.

Idempotency keys are scoped to the caller's client id and, when a partner acts for a member
(``Datapark-On-Behalf-Of``), to that member: the same key sent for two members is two requests.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import FromClause, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from datapark_kit.auth import Principal, verified_principal
from datapark_kit.db import Database
from datapark_kit.errors import Forbidden, ProblemError
from datapark_kit.idempotency import HEADER, IdempotencyClaim, IdempotencyStore, request_fingerprint

ON_BEHALF_OF = "Datapark-On-Behalf-Of"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Participant statuses that may not change anything (catalog's ParticipantStatus).
INACTIVE = frozenset({"suspended"})


async def _verified_principal(request: Request) -> Principal | None:
    """The verified caller; None when unauthenticated (the endpoint's own auth answers 401)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        return await verified_principal(request, header[7:].strip())
    except ProblemError:
        return None


def idempotency_scope(principal: Principal, on_behalf_of: str | None) -> str:
    """Whose key it is: the client id, and the member a partner acts for when it says so."""
    if not on_behalf_of:
        return principal.client_id
    try:
        member = str(uuid.UUID(on_behalf_of))
    except ValueError:  # refused by the endpoint; still never shared with another value
        member = "~" + hashlib.sha256(on_behalf_of.encode()).hexdigest()[:32]
    return f"{principal.client_id} for {member}"


@functools.cache
def _status_query(participants: FromClause) -> Select[tuple[str]]:
    """The status of one participant, built once per table (run on every write)."""
    return select(participants.c.status).where(participants.c.id == bindparam("participant_id"))


async def ensure_participant_active(
    session: AsyncSession, participants: FromClause, participant_id: uuid.UUID
) -> None:
    """403 ``participant_not_active`` when the service's participant table holds the
    participant as suspended."""
    status = (
        await session.execute(_status_query(participants), {"participant_id": participant_id})
    ).scalar_one_or_none()
    if status in INACTIVE:
        raise Forbidden(
            f"participant is {status}: it can change nothing until reinstated",
            code="participant_not_active",
            participant_status=status,
        )


# The request's own scope (not ``request.state``, which servers may share from the lifespan).
SESSION_SCOPE_KEY = "datapark.session"


class _Discard(Exception):
    """Leaves the unit of work with a rollback but still answers with ``response``."""

    def __init__(self, response: Response) -> None:
        self.response = response


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            database: Database = request.app.state.database
            store: IdempotencyStore | None = getattr(request.app.state, "idempotency", None)
            try:
                return await run(request, database, store)
            except _Discard as discarded:
                return discarded.response

        async def run(
            request: Request, database: Database, store: IdempotencyStore | None
        ) -> Response:
            async with database.unit_of_work() as session:
                request.scope[SESSION_SCOPE_KEY] = session
                claim: IdempotencyClaim | None = None
                key = request.headers.get(HEADER)
                writes = request.method in WRITES
                principal = await _verified_principal(request) if writes or key else None
                participants: FromClause | None = getattr(request.app.state, "participants", None)
                if writes and principal is not None and participants is not None:
                    await ensure_participant_active(session, participants, principal.participant_id)
                scope = (
                    idempotency_scope(principal, request.headers.get(ON_BEHALF_OF))
                    if principal is not None
                    else None
                )
                if (
                    key is not None
                    and scope is not None
                    and store is not None
                    and request.method == "POST"
                ):
                    body = await request.body()
                    outcome = await store.claim(
                        session,
                        principal=scope,
                        key=key,
                        path=request.url.path,
                        fingerprint=request_fingerprint(request.method, request.url.path, body),
                    )
                    if isinstance(outcome, Response):
                        return outcome
                    claim = outcome
                response = await original(request)
                if claim is not None and store is not None:
                    if 200 <= response.status_code < 300 and not isinstance(
                        response, StreamingResponse
                    ):
                        await store.complete(session, claim, response, bytes(response.body))
                    else:
                        # Keep nothing of a failed request: roll back the claim with the effect.
                        raise _Discard(response)
            return response

        return handler


async def _session(request: Request) -> AsyncSession:
    # async: a plain function dependency would run in the thread pool on every request.
    session: AsyncSession = request.scope[SESSION_SCOPE_KEY]
    return session


SessionDep = Annotated[AsyncSession, Depends(_session)]
