"""Typed errors that carry their HTTP status and a stable code.

Services raise these; one handler (``datapark_kit.problems``) renders them as RFC 9457
``application/problem+json``. Nothing else in a service decides on a status code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Self


class ProblemCode(StrEnum):
    """Base of a service's catalogue of problem codes: each member is its stable code and the
    status it comes with, e.g. ``REGION_NOT_COVERED = "region_not_covered", 422``. Raise sites
    pass members (``Unprocessable(..., code=Code.REGION_NOT_COVERED)``); routes document them
    (``responses=datapark_kit.openapi.problems(...)``); docs list them (``tools/problem_codes``).
    """

    status: int
    summary: str

    def __new__(cls, value: str, status: int = 422, summary: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.summary = summary
        return member


class ProblemError(Exception):
    """Base of every expected error: status, stable machine code, human detail, extras."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra


class Unauthorized(ProblemError):
    status = 401
    title = "Unauthorized"
    default_code = "unauthorized"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"
    default_code = "forbidden"


class NotFound(ProblemError):
    status = 404
    title = "Not found"
    default_code = "not_found"


class Conflict(ProblemError):
    """The request clashes with the current state (a forbidden transition, a duplicate)."""

    status = 409
    title = "Conflict"
    default_code = "conflict"


class InvalidState(Conflict):
    """A step that the aggregate's current state does not allow."""

    default_code = "invalid_state"

    def __init__(self, entity: str, state: str, action: str, reason: str | None = None) -> None:
        detail = reason or f"{entity} in state '{state}' does not allow '{action}'"
        super().__init__(detail, state=state, action=action)


class Unprocessable(ProblemError):
    """Well-formed but semantically invalid input; ``field`` names the culprit when known."""

    status = 422
    title = "Unprocessable content"
    default_code = "unprocessable"

    def __init__(
        self, detail: str, *, field: str | None = None, code: str | None = None, **extra: Any
    ) -> None:
        if field is not None:
            extra["errors"] = [{"field": field, "message": detail}]
        super().__init__(detail, code=code, **extra)


class RequestTimeout(ProblemError):
    """The client did not send its request (body) in time."""

    status = 408
    title = "Request timeout"
    default_code = "request_timeout"


class PayloadTooLarge(ProblemError):
    status = 413
    title = "Content too large"
    default_code = "payload_too_large"


class TooManyRequests(ProblemError):
    """Slow down; ``retry_after`` (seconds) becomes the ``Retry-After`` header too."""

    status = 429
    title = "Too many requests"
    default_code = "rate_limited"


class ServiceUnavailable(ProblemError):
    status = 503
    title = "Service unavailable"
    default_code = "unavailable"
