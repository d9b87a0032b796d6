"""Input every service refuses before it reaches an endpoint: NUL characters in text.

Postgres cannot store U+0000 in ``text``/``varchar``/``jsonb`` (asyncpg fails with
``CharacterNotInRepertoireError`` or ``UntranslatableCharacterError``), so a NUL anywhere in
the path, the query, a JSON body or a form body would otherwise end as a 500 (or be written to
a log or event and fail later). The middleware answers such a request with a 422 problem that
names the field, the same shape as any other validation failure.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from datapark_kit.problems import problem_response

NUL = "\x00"
MESSAGE = "must not contain the NUL character (U+0000)"


def nul_in_json(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first key or string holding a NUL, or None."""
    if isinstance(value, str):
        return (".".join(path) or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return ".".join((*path, repr(key))) or "body"
            found = nul_in_json(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_in_json(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def nul_in_form(raw: bytes) -> str | None:
    """The name of the first form (or query) parameter whose name or value holds a NUL."""
    if b"\x00" not in urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")):
        return None
    text = raw.decode("latin-1")
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="latin-1"):
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "query"
    return "query"


def nul_in_body(content_type: str, body: bytes) -> str | None:
    if not body:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return nul_in_form(body)
    if media == "application/json" or media.endswith("+json"):
        if b"\x00" in body:
            return "body"
        if b"\\u0000" not in body:  # the only way to spell NUL inside a JSON string
            return None
        try:
            document = json.loads(body)
        except ValueError:
            return None  # not JSON: the endpoint's own validation answers
        return nul_in_json(document)
    return None


class RejectNulMiddleware:
    """422 for any request with a NUL in its path, query string, JSON or form body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field: str | None = None
        if NUL in scope.get("path", ""):
            field = "path"
        elif scope.get("query_string"):
            field = nul_in_form(scope["query_string"])
        if field is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            messages, body = await _read_body(receive)
            field = nul_in_body(content_type, body)
            receive = _replay(messages, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            422,
            "Validation failed",
            "validation_failed",
            f"invalid fields: {field}",
            scope.get("path", "").replace(NUL, ""),
            errors=[{"field": field, "message": MESSAGE, "type": "nul_character"}],
        )
        await response(scope, receive, send)


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
