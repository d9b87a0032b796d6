"""RFC 9457 problem+json rendering: one place that turns errors into responses.

Expected errors are ``ProblemError`` subclasses; request validation errors list each field;
anything unexpected is a 500 that reveals nothing (no stack trace, no SQL) and is logged.
A ``retry_after`` (seconds) in a problem is also sent as the ``Retry-After`` header.

Starlette's own last-resort handler answers a 500 and then re-raises the error to the server,
which drops the keep-alive connection (the client's next request on it fails).
``LastResortMiddleware`` answers the 500 itself and keeps the connection usable.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datapark_kit.errors import ProblemError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://datapark.example/problems/"
log = logging.getLogger("datapark.problems")


def problem_response(
    status: int, title: str, code: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
    }
    body.update(extra)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = extra.get("retry_after")
    if isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after >= 0:
        headers["Retry-After"] = str(retry_after)
    if status in (408, 413):  # the rest of the request may still be on its way: do not wait
        headers["Connection"] = "close"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status, exc.title, exc.code, exc.detail, request.url.path, **exc.extra
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field_path(tuple(err.get("loc", ()))),
            "message": err.get("msg", "invalid"),
            "type": err.get("type", "value_error"),
        }
        for err in exc.errors()
    ]
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        422,
        "Validation failed",
        "validation_failed",
        f"invalid fields: {fields}",
        request.url.path,
        errors=errors,
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        400: "bad_request",  # a body that cannot be read as its media type says
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }.get(exc.status_code, "http_error")
    return problem_response(
        exc.status_code, str(exc.detail), code, str(exc.detail), request.url.path
    )


def internal_error(path: str) -> JSONResponse:
    return problem_response(
        500,
        "Internal error",
        "internal_error",
        "the server could not complete the request",
        path,
    )


# How long a client should wait after the database was unreachable (Retry-After, seconds).
UNAVAILABLE_RETRY_AFTER = 2


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or ended the session (shut down, restarting, the
    connection dropped, the pool timed out), or rolled this transaction back to break a
    deadlock: the request changed nothing, and the client may try again (with its
    Idempotency-Key). Not a server error."""
    seen: BaseException | None = exc
    for _ in range(8):  # the error and what caused it (SQLAlchemy wraps the driver's)
        if seen is None:
            return False
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, sa_exc.TimeoutError | ConnectionError):
            return True
        code = str(getattr(seen, "sqlstate", None) or "")
        # connection exception (08), operator intervention: shutdown, cannot connect now (57P);
        # this transaction chosen as a deadlock victim or failing serialization (40P01, 40001):
        # it was rolled back, so trying again is safe
        if code.startswith(("08", "57P")) or code in ("40P01", "40001"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unavailable(path: str) -> JSONResponse:
    return problem_response(
        503,
        "Service unavailable",
        "unavailable",
        "the database could not complete the request; nothing was changed, try again",
        path,
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return unavailable(request.url.path)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return internal_error(request.url.path)


class LastResortMiddleware:
    """Anything no handler turned into a response becomes a 500 problem here, and the error
    stops here: the server sees a finished response and keeps the connection open. (An error
    after the response has started cannot be answered any more; it goes on to the server.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            if database_unavailable(exc):
                log.warning("database unavailable on %s: %r", scope.get("path"), exc)
                await unavailable(scope.get("path", ""))(scope, receive, send)
                return
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            await internal_error(scope.get("path", ""))(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
    # ``_unexpected`` still serves Starlette's outermost layer (for errors raised by a
    # middleware outside ``LastResortMiddleware``); ``create_app`` installs the middleware.
