"""Input every service refuses before it reaches an endpoint.

Control characters in text. Postgres cannot store U+0000 in ``text``/``varchar``/``jsonb``
(asyncpg fails with ``CharacterNotInRepertoireError``), so a NUL anywhere would otherwise end
as a 500; the other control characters (ESC, BEL, DEL, the C1 range; tab, line feed and
carriage return excepted) are stored fine but turn names and descriptions into terminal
escape sequences for whoever reads them later. A request with one in its path, its query, a
JSON body (key or string) or a form body is answered with a 422 problem that names the field.

Size and time. A body larger than the limit is a 413 (at once when ``Content-Length`` says so,
else as soon as the bytes read pass it), and a body that does not arrive within the read
timeout is a 408; both close the connection. Slow request *heads* and idle connections are the
server's business (``datapark_kit.serve``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.parse
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datapark_kit.errors import PayloadTooLarge, ProblemError, RequestTimeout
from datapark_kit.problems import problem_response

NUL = "\x00"
MESSAGE = "must not contain the NUL character (U+0000)"
CONTROL_MESSAGE = "must not contain control characters (tab, line feed and carriage return aside)"
# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Where a JSON document can hold one: an escape, or DEL / a C1 control as raw UTF-8 (raw C0
# controls are not valid JSON at all, the parser refuses them).
_JSON_SUSPECT = re.compile(rb"\\u|\x7f|\xc2[\x80-\x9f]")


def refused_character(text: str) -> str | None:
    """The first refused character of ``text``, or None."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def control_in_json(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first key or string holding a refused character, or None."""
    if isinstance(value, str):
        return (".".join(path) or "body") if refused_character(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if refused_character(key):
                return ".".join((*path, repr(key))) or "body"
            found = control_in_json(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = control_in_json(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def control_in_form(raw: bytes) -> str | None:
    """The name of the first form (or query) parameter whose name or value holds one."""
    decoded = urllib.parse.unquote_to_bytes(raw.replace(b"+", b" "))
    if not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]", decoded):
        return None
    text = raw.decode("latin-1")
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8"):
        if refused_character(name) or refused_character(value):
            return _CONTROL.sub("", name) or "query"
    return "query"


def control_in_body(content_type: str, body: bytes) -> str | None:
    if not body:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return control_in_form(body)
    if media == "application/json" or media.endswith("+json"):
        if b"\x00" in body:
            return "body"
        if _JSON_SUSPECT.search(body) is None:
            return None
        try:
            document = json.loads(body)
        except ValueError:
            return None  # not JSON: the endpoint's own validation answers
        return control_in_json(document)
    return None


# The names earlier code and tests know these by.
nul_in_json = control_in_json
nul_in_form = control_in_form
nul_in_body = control_in_body


class RejectControlCharactersMiddleware:
    """422 for any request with a control character in its path, query, JSON or form body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field: str | None = None
        body = b""
        if refused_character(scope.get("path", "")):
            field = "path"
        elif scope.get("query_string"):
            field = control_in_form(scope["query_string"])
        if field is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            messages, body = await _read_body(receive)
            field = control_in_body(content_type, body)
            receive = _replay(messages, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        nul = _holds_nul(scope, body)
        response = problem_response(
            422,
            "Validation failed",
            "validation_failed",
            f"invalid fields: {field}",
            _CONTROL.sub("", scope.get("path", "")),
            errors=[
                {
                    "field": field,
                    "message": MESSAGE if nul else CONTROL_MESSAGE,
                    "type": "nul_character" if nul else "control_character",
                }
            ],
        )
        await response(scope, receive, send)


def _holds_nul(scope: Scope, body: bytes) -> bool:
    """Whether a NUL is among what was refused (reported as such)."""
    query: bytes = scope.get("query_string", b"")
    return (
        NUL in scope.get("path", "")
        or b"%00" in query
        or b"\x00" in body
        or rb"\u0000" in body
        or b"%00" in body
    )


RejectNulMiddleware = RejectControlCharactersMiddleware


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``, 408 for one that takes longer than ``read_timeout``
    seconds to arrive; neither is buffered or waited for beyond that."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, read_timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _render(self._too_large(), path)(scope, receive, send)
            return
        received = 0
        complete = False
        deadline: float | None = None

        async def limited_receive() -> Message:
            nonlocal received, complete, deadline
            if complete:  # after the body, receive() only waits for a disconnect
                return await receive()
            if deadline is None:
                deadline = time.monotonic() + self.read_timeout
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body did not arrive within {self.read_timeout:g}s"
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
                complete = not message.get("more_body", False)
            else:
                complete = True
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except (PayloadTooLarge, RequestTimeout) as refused:
            if started:
                raise
            await _render(refused, path)(scope, receive, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body is larger than {self.max_bytes} bytes", max_bytes=self.max_bytes
        )


def _render(error: ProblemError, path: str) -> Any:
    return problem_response(
        error.status, error.title, error.code, error.detail, path, **error.extra
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
