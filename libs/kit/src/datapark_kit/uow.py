"""The HTTP unit of work: one session and one transaction per request, committed before the
response leaves, with idempotent POST handling in the same transaction.

Routers use ``UnitOfWorkRoute`` as their ``route_class``; endpoints get the session through
``SessionDep``. Errors raised by the endpoint roll the transaction back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from datapark_kit.auth import TokenVerifier
from datapark_kit.db import Database
from datapark_kit.errors import ProblemError
from datapark_kit.idempotency import HEADER, IdempotencyClaim, IdempotencyStore, request_fingerprint


async def _principal_scope(request: Request) -> str | None:
    """The verified caller's client id, to scope idempotency keys; None when unauthenticated."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return (await verifier.verify_or_refresh(header[7:].strip())).client_id
    except ProblemError:
        return None


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
                scope = await _principal_scope(request) if key is not None else None
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


def _session(request: Request) -> AsyncSession:
    session: AsyncSession = request.scope[SESSION_SCOPE_KEY]
    return session


SessionDep = Annotated[AsyncSession, Depends(_session)]
