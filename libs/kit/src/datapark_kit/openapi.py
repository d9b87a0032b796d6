"""The OpenAPI document every service publishes: the contract its partners integrate from.

FastAPI describes the routes; this module finishes the document the same way for every
service, so the published document says what the service really does:

- the ``Problem`` schema (RFC 9457 plus our stable ``code``) and ``ValidationProblem`` (with
  its list of fields) replace FastAPI's default 422 body;
- every operation lists the problem responses it can return, as ``application/problem+json``:
  401 and 403 where a bearer token is required, 404 where a path names a resource, 409 (and
  408/413 for a body) on writes, 422 wherever input is read, 429 on the open paths that are
  rate limited, 503 everywhere (the database was unreachable; nothing changed); 429 and 503
  carry ``Retry-After``, and the answers of a rate-limited path the ``RateLimit-*`` headers
  (``datapark_kit.ratelimit``). Each problem response names the codes it may carry in
  ``x-problem-codes`` (the kit's catalogue below plus what the service declares), which the
  fuzz test holds every answer to;
- ``Idempotency-Key`` is a declared header on every POST run in the unit of work of a service
  that keeps idempotency rows (``datapark_kit.uow``);
- operation ids read as verbs in camelCase (``createBooking``, ``issueToken``): from the
  endpoint's function name, ``get`` before a noun-only GET, the resource after a bare verb;
  an ``operation_id=`` given on the route is kept as written;
- every operation shows an example per JSON body, request and 2xx response: the first of the
  model's own ``examples`` (``model_config = ConfigDict(json_schema_extra={"examples": [...]})``)
  is lifted into the media's ``example``; a page ``{items, next_cursor}`` (and a bare list) is
  shown with one item, the item model's example; a UUID path parameter gets a sample UUID.
  An example given on the route itself is kept. The examples are validated against their
  schemas by the test suite (tests/unit/kit/test_kit_openapi_examples.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from fastapi import FastAPI

from datapark_kit.errors import ProblemCode
from datapark_kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from datapark_kit.idempotency import MAX_KEY_LENGTH, REPLAY_HEADER
from datapark_kit.problems import PROBLEM_JSON, TYPE_BASE
from datapark_kit.ratelimit import OPENAPI_HEADERS as RATE_LIMIT_HEADERS


class KitCode(StrEnum):
    """Problem codes the kit itself answers with, whatever the service."""

    BAD_REQUEST = "bad_request"
    MISSING_TOKEN = "missing_token"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    UNKNOWN_KEY = "unknown_key"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    ROLE_REQUIRED = "role_required"
    PARTICIPANT_NOT_ACTIVE = "participant_not_active"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    INVALID_STATE = "invalid_state"
    IDEMPOTENT_RESPONSE_WITHHELD = "idempotent_response_withheld"
    REQUEST_TIMEOUT = "request_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    VALIDATION_FAILED = "validation_failed"
    UNPROCESSABLE = "unprocessable"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


# What each problem status means in any datapark API, and the kit's codes for it.
KIT_PROBLEMS: dict[int, tuple[str, tuple[KitCode, ...]]] = {
    400: ("The body cannot be read as its media type says.", (KitCode.BAD_REQUEST,)),
    401: (
        "No valid bearer token (missing, expired, signed by an unknown key).",
        (
            KitCode.MISSING_TOKEN,
            KitCode.INVALID_TOKEN,
            KitCode.TOKEN_EXPIRED,
            KitCode.UNKNOWN_KEY,
            KitCode.UNAUTHORIZED,
        ),
    ),
    403: (
        "The caller's role or participant may not do this.",
        (KitCode.FORBIDDEN, KitCode.ROLE_REQUIRED, KitCode.PARTICIPANT_NOT_ACTIVE),
    ),
    404: (
        "A resource the request names does not exist, or belongs to another tenant.",
        (KitCode.NOT_FOUND,),
    ),
    408: ("The request body did not arrive in time.", (KitCode.REQUEST_TIMEOUT,)),
    409: (
        "The request clashes with the resource's current state; nothing changed.",
        (KitCode.CONFLICT, KitCode.INVALID_STATE, KitCode.IDEMPOTENT_RESPONSE_WITHHELD),
    ),
    413: ("The request body is larger than the service accepts.", (KitCode.PAYLOAD_TOO_LARGE,)),
    422: (
        "Invalid input; `errors` names each field. Nothing changed.",
        (
            KitCode.VALIDATION_FAILED,
            KitCode.UNPROCESSABLE,
            KitCode.INVALID_IDEMPOTENCY_KEY,
            KitCode.IDEMPOTENCY_KEY_REUSED,
            KitCode.IDEMPOTENCY_IN_PROGRESS,
        ),
    ),
    429: ("Too many requests; wait `Retry-After` seconds.", (KitCode.RATE_LIMITED,)),
    503: (
        "The database was unreachable; nothing changed. Retry after `Retry-After` seconds "
        "(with the same Idempotency-Key).",
        (KitCode.UNAVAILABLE,),
    ),
}

WRITES = frozenset({"post", "put", "patch", "delete"})
UNDOCUMENTED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Verbs an operation id may start with as it is; anything else is a noun that needs one.
VERBS = frozenset(
    {
        "accept",
        "activate",
        "add",
        "agree",
        "apply",
        "approve",
        "book",
        "cancel",
        "change",
        "check",
        "close",
        "confirm",
        "correct",
        "counter",
        "create",
        "delete",
        "delist",
        "deposit",
        "disburse",
        "execute",
        "expire",
        "extend",
        "finalize",
        "get",
        "hold",
        "inspect",
        "invoice",
        "issue",
        "list",
        "open",
        "pay",
        "place",
        "publish",
        "quote",
        "reconcile",
        "record",
        "redeliver",
        "register",
        "report",
        "reinstate",
        "repossess",
        "request",
        "resume",
        "retire",
        "return",
        "review",
        "revise",
        "revoke",
        "rotate",
        "run",
        "schedule",
        "search",
        "sign",
        "start",
        "submit",
        "subscribe",
        "suspend",
        "terminate",
        "transfer",
        "update",
        "verify",
        "withdraw",
        "write",
    }
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem with datapark's stable machine-readable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "example": f"{TYPE_BASE}not_found"},
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "example": 404},
        "detail": {"type": "string", "example": "booking not found"},
        "code": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]*$",
            "description": "Stable code; the operation's response lists the codes it may carry.",
            "example": "not_found",
        },
        "instance": {"type": "string", "example": "/v1/bookings/0b5c..."},
        "retry_after": {"type": "integer", "minimum": 0, "description": "Seconds, as the header."},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
    },
    "additionalProperties": True,
}
FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "FieldProblem",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "example": "price.amount"},
        "message": {"type": "string", "example": "Input should be a valid decimal string"},
        "type": {"type": "string", "example": "decimal_type"},
    },
}
VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ValidationProblem",
    "description": "A 422 problem; `errors` lists every invalid field when fields are at fault.",
    "allOf": [{"$ref": "#/components/schemas/Problem"}],
}
RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry: the first successful response to this key (per caller, "
        "and per member when a partner acts for one) is stored with the effect and replayed to "
        f"a retry with the same body (marked `{REPLAY_HEADER}: true`); the same key with "
        "another body is a 422 `idempotency_key_reused`."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "example": "6c1f0c1e-3f8a-4f0e-9a51-2b8f3f6a9d10",
}


def problems(*codes: ProblemCode | KitCode) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the service's own problem codes it may answer with, beside
    the kit's (which every operation documents anyway). A kit code declares its status where
    the rules above do not see it, e.g. ``problems(KitCode.NOT_FOUND)`` on a POST whose body
    names something by a token or a foreign id that may not exist."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        status = code.status if isinstance(code, ProblemCode) else _kit_status(code)
        entry = out.setdefault(status, {"x-problem-codes": []})
        entry["x-problem-codes"].append(str(code))
    return out


def _kit_status(code: KitCode) -> int:
    for status, (_, codes) in KIT_PROBLEMS.items():
        if code in codes:
            return status
    raise ValueError(f"{code} is not a problem code of any status")


def camel(words: Iterable[str]) -> str:
    parts = [w for w in words if w]
    return parts[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in parts[1:])


def singular(noun: str) -> str:
    noun = noun.replace("-", " ").split()[-1] if noun.strip() else noun
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith("s") and not noun.endswith("ss"):
        return noun[:-1]
    return noun


def operation_id(name: str, method: str, tags: list[str]) -> str:
    """The verb-first camelCase id for an endpoint function ``name``."""
    words = name.split("_")
    if method == "get" and (words[0] not in VERBS or len(words) == 1):
        words = ["get", *words]  # a noun: ``balance_sheet`` -> getBalanceSheet
    elif words[-1] == "request" and words[0] not in VERBS:
        words = ["request", *words[:-1]]  # a protocol message: ``contract_request``
    elif words[0] not in VERBS:
        words = ["send", *words]  # a protocol message: ``initial_offer``
    if len(words) == 1 and tags:
        words = [*words, *singular(tags[0]).split()]  # a bare verb: ``accept`` on negotiations
    return camel(words)


def qualified(operation: str, path: str) -> str:
    """``operation`` with the path's first segment after its verb, for a second operation of
    the same name under another root (``/dsp/...``): ``getNegotiation`` -> ``getDspNegotiation``."""
    segments = [s for s in path.split("/") if s and not re.fullmatch(r"v\d+", s)]
    verb = re.match(r"[a-z]+", operation)
    if not segments or verb is None:
        return operation
    head = verb.group(0)
    return (
        head + camel(["x", *re.split(r"[^A-Za-z0-9]+", segments[0])])[1:] + operation[len(head) :]
    )


def names_resource(op: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether the request names a resource that may not exist: a path parameter, or an id
    (a UUID) among its parameters or in its body."""
    if any(p.get("in") == "path" for p in op.get("parameters", [])):
        return True
    seen: set[str] = set()

    def has_uuid(node: Any) -> bool:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                target = components.get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
                if has_uuid(target):
                    return True
            if node.get("format") == "uuid":
                return True
            return any(has_uuid(v) for v in node.values())
        if isinstance(node, list):
            return any(has_uuid(v) for v in node)
        return False

    return has_uuid(op.get("parameters", [])) or has_uuid(op.get("requestBody", {}))


def _default_suffix(path: str, method: str) -> str:
    # FastAPI's generated id is ``name + re.sub(r"\W", "_", path) + "_" + method``.
    return re.sub(r"\W", "_", path) + "_" + method


def _problem_response(status: int, codes: Iterable[str], extra_description: str = "") -> Any:
    description, _ = KIT_PROBLEMS.get(status, ("A problem.", ()))
    listed = sorted(set(codes))
    schema = "ValidationProblem" if status == 422 else "Problem"
    example = {
        "type": f"{TYPE_BASE}{listed[0]}",
        "title": description.split(";")[0].split(".")[0],
        "status": status,
        "detail": description,
        "code": listed[0],
        "instance": "/v1/...",
    }
    if status == 422:
        example["errors"] = [{"field": "amount", "message": "Input should be a valid decimal"}]
    response: dict[str, Any] = {
        "description": description + extra_description,
        "content": {
            PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}, "example": example}
        },
        "x-problem-codes": listed,
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}
        }
    return response


JSON = "application/json"
# Sample ids for UUID path parameters, one per parameter name (stable across builds).
_SAMPLE_IDS = uuid.UUID("5d1b4f0e-2c7a-4e37-9a35-0f1c6b2d8e41")
_NO_EXAMPLE = object()


def example_of(schema: Any, schemas: dict[str, Any], depth: int = 0) -> Any:
    """An example of ``schema``, or ``_NO_EXAMPLE``: a component's own first example; for a
    page (``items`` and ``next_cursor``) or a list, one item; a nullable field's ``null``."""
    if not isinstance(schema, dict) or depth > 4:
        return _NO_EXAMPLE
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return example_of(schemas.get(ref.rsplit("/", 1)[-1]), schemas, depth + 1)
    options = schema.get("anyOf") or schema.get("oneOf") or []
    for option in options:
        if isinstance(option, dict) and option.get("type") != "null":
            found = example_of(option, schemas, depth + 1)
            if found is not _NO_EXAMPLE:
                return found
    if any(isinstance(o, dict) and o.get("type") == "null" for o in options):
        return None
    if "default" in schema:
        return schema["default"]
    if schema.get("type") == "array":
        item = example_of(schema.get("items"), schemas, depth + 1)
        return _NO_EXAMPLE if item is _NO_EXAMPLE else [item]
    properties = schema.get("properties") or {}
    if schema.get("type") == "object" and {"items", "next_cursor"} <= set(properties):
        page: dict[str, Any] = {}
        for name, prop in properties.items():
            value = example_of(prop, schemas, depth + 1)
            if value is _NO_EXAMPLE:
                if name in schema.get("required", ()):
                    return _NO_EXAMPLE
                continue
            page[name] = value
        return page
    return _NO_EXAMPLE


def add_examples(op: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Lift examples into ``op``'s JSON request body, its 2xx JSON responses and its UUID path
    parameters, where the route gave none."""
    media = list(op.get("requestBody", {}).get("content", {}).items())
    for status, response in op.get("responses", {}).items():
        if str(status).startswith("2"):
            media += list(response.get("content", {}).items())
    for media_type, content in media:
        if media_type != JSON or "example" in content or content.get("examples"):
            continue
        found = example_of(content.get("schema"), schemas)
        if found is not _NO_EXAMPLE:
            content["example"] = found
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        if param.get("in") == "path" and schema.get("format") == "uuid" and "example" not in param:
            param["example"] = str(uuid.uuid5(_SAMPLE_IDS, param["name"]))


def restore_nulls(example: Any, schema: Any, schemas: dict[str, Any], depth: int = 0) -> None:
    """Put back, in place, the ``null`` of each required nullable property ``example`` lacks.

    FastAPI writes the document without ``None`` values (``exclude_none``), which also strips
    the ``null``s a model's examples give (``"agreement_id": null``), so an example would miss
    required properties."""
    if not isinstance(schema, dict) or depth > 12:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        restore_nulls(example, schemas.get(ref.rsplit("/", 1)[-1]), schemas, depth + 1)
        return
    if isinstance(example, list) and isinstance(schema.get("items"), dict):
        for item in example:
            restore_nulls(item, schema["items"], schemas, depth + 1)
        return
    if not isinstance(example, dict):
        return
    for option in schema.get("anyOf") or schema.get("oneOf") or ():
        target = option
        if isinstance(option, dict) and isinstance(option.get("$ref"), str):
            target = schemas.get(option["$ref"].rsplit("/", 1)[-1])
        if isinstance(target, dict) and set(example) <= set(target.get("properties") or {}):
            restore_nulls(example, target, schemas, depth + 1)  # only an option it fits
    properties = schema.get("properties") or {}
    for name in schema.get("required", ()):
        if name not in example and _nullable(properties.get(name), schemas):
            example[name] = None
    for name, value in example.items():
        if name in properties:
            restore_nulls(value, properties[name], schemas, depth + 1)


def _nullable(schema: Any, schemas: dict[str, Any]) -> bool:
    if not isinstance(schema, dict):
        return False
    options = schema.get("anyOf") or schema.get("oneOf") or ()
    return schema.get("type") == "null" or any(
        isinstance(o, dict) and o.get("type") == "null" for o in options
    )


def finish_document(
    document: dict[str, Any],
    *,
    idempotent_posts: set[tuple[str, str]],
    rate_limited: frozenset[str],
) -> dict[str, Any]:
    """Finish FastAPI's ``document`` in place (see the module docstring) and return it.

    ``idempotent_posts`` holds the ``(method, path)`` pairs that honour Idempotency-Key;
    ``rate_limited`` the paths that may answer 429. A route's own ``problems(...)`` codes
    are kept beside the kit's."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["FieldProblem"] = FIELD_PROBLEM_SCHEMA
    schemas["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
    for schema in schemas.values():
        for example in schema.get("examples") or ():
            restore_nulls(example, schema, schemas)
    seen_ids: dict[str, str] = {}
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            where = f"{method.upper()} {path}"
            suffix = _default_suffix(path, method)
            generated = op.get("operationId", "")
            if generated.endswith(suffix):
                op["operationId"] = operation_id(
                    generated.removesuffix(suffix), method, op.get("tags", [])
                )
            if op["operationId"] in seen_ids:
                op["operationId"] = qualified(op["operationId"], path)
            if op["operationId"] in seen_ids:
                raise ValueError(
                    f"operation id {op['operationId']} of {where} is also "
                    f"{seen_ids[op['operationId']]}'s; give one an operation_id="
                )
            seen_ids[op["operationId"]] = where
            if path in UNDOCUMENTED_PATHS:
                continue
            statuses: set[int] = {503}
            if op.get("security"):
                statuses |= {401, 403}
            if names_resource(op, components):
                statuses.add(404)
            if op.get("parameters") or op.get("requestBody") or method in WRITES:
                statuses.add(422)
            if method in WRITES:
                statuses.add(409)
            if method in WRITES:
                statuses.add(400)
            if op.get("requestBody"):
                statuses |= {408, 413}
            if path in rate_limited:
                statuses.add(429)
            responses = op.setdefault("responses", {})
            declared: dict[int, list[str]] = {
                int(status): list(response["x-problem-codes"])
                for status, response in responses.items()
                if "x-problem-codes" in response
            }
            statuses |= set(declared)
            for status in sorted(statuses):
                kit_codes = KIT_PROBLEMS.get(status, ("", ()))[1]
                codes = [*(str(c) for c in kit_codes), *declared.get(status, ())]
                if not codes:
                    continue
                current = responses.get(str(status), {})
                new = _problem_response(status, codes)
                if current.get("description") and current["description"] not in (
                    "Validation Error",
                    "Additional Response",
                ):
                    new["description"] = current["description"]
                responses[str(status)] = new
            if path in rate_limited:
                # Every answer the limiter counted carries the quota; not the ones refused
                # before it runs (unreadable, slow, oversized or invalid input) nor a 503.
                for status, response in responses.items():
                    if str(status) not in ("400", "408", "413", "422", "503"):
                        response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
            if (method, path) in idempotent_posts:
                params = op.setdefault("parameters", [])
                if not any(p.get("name") == IDEMPOTENCY_HEADER for p in params):
                    params.append(IDEMPOTENCY_PARAMETER)
            add_examples(op, schemas)
    return document


def install_openapi(
    app: FastAPI,
    *,
    idempotent_posts: set[tuple[str, str]],
    rate_limited: frozenset[str] = frozenset(),
) -> None:
    """Serve the finished document at ``/openapi.json`` (FastAPI builds it, this finishes it
    once per build)."""
    build = app.openapi
    finished: list[int] = []

    def openapi() -> dict[str, Any]:
        document = build()
        if id(document) not in finished:
            finish_document(document, idempotent_posts=idempotent_posts, rate_limited=rate_limited)
            finished[:] = [id(document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
