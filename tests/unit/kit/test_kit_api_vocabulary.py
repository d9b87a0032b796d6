"""One vocabulary across the four OpenAPI documents (docs/CONVENTIONS.md "The HTTP language").

Every schema reachable from an operation (request and response) is walked and held to the
rules: money is a Money object, decimals and rates are strings never JSON numbers, durations
are ``*_seconds``, ``*_at`` are instants and ``*_on`` dates, ids are UUIDs, enums snake_case,
list answers ``{items, next_cursor}``. Every departure fails: there is no list of exceptions
beyond the named rules below (foreign ids, a money bound in a query string)."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

SERVICES = ("catalog", "trading", "rental", "subsidy")
HEALTH = {"/healthz", "/readyz", "/metrics"}
# Decimal-string fields whose name says they are money (a bare one must be a Money object).
MONEY_NAME = re.compile(
    r"(^|_)(price|amount|cost|fee|fees|deposit|charge|charges|balance|principal|total|"
    r"payment|refund|value|income|revenue|liabilities|assets|profit|ebitda|interest|"
    r"cash_flow|maximum|minimum|due|granted|entitled)(_|$)"
)
NOT_MONEY = re.compile(
    r"(^money_amount$|_rate|_ratio|_share|_percent|_count|_months|_seconds|_id|_code)$"
)
DURATION_UNITS = re.compile(r"_(days|hours|minutes|ms|millis|weeks|years)$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# Ids that are not ours and so not UUIDs: credentials, venue and region codes, protocol ids.
FOREIGN_IDS = {"client_id", "key_id", "kid", "dataset_id", "offer_id", "process_id", "pid"}


# Money-named strings that are not amounts: what kind of price, a bank's payment reference, and
# the bare ``value`` of a dated parameter or a risk check (a rate as often as an amount).
NOT_AN_AMOUNT = re.compile(r"(_kind|_reference|^value)$")


def decimal_string(schema: dict[str, Any]) -> bool:
    pattern = schema.get("pattern", "")
    return schema.get("type") == "string" and (r"\d" in pattern or "0-9" in pattern)


def plain_string(schema: dict[str, Any]) -> bool:
    """A string with no pattern, format or enum: an amount could hide there unchecked."""
    return schema.get("type") == "string" and not (
        schema.get("pattern") or schema.get("format") or schema.get("enum")
    )


class Walker:
    def __init__(self, service: str, document: dict[str, Any]) -> None:
        self.service = service
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self.found: set[str] = set()
        self.seen: set[str] = set()

    def flag(self, where: str, rule: str) -> None:
        self.found.add(f"{self.service}: {where}: {rule}")

    def walk(self, schema: Any, where: str, name: str = "") -> None:
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = ref.rsplit("/", 1)[-1]
            if target in self.seen or target in {"Problem", "ValidationProblem", "FieldProblem"}:
                return
            self.seen.add(target)
            self.walk(self.schemas[target], target, name)
            return
        options = [*schema.get("anyOf", []), *schema.get("oneOf", []), *schema.get("allOf", [])]
        plain = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
        if name:
            self.field(schema, plain, where, name)
        for option in options:
            self.walk(option, where)  # the field itself was judged above, with its options
        properties = schema.get("properties") or {}
        for key, prop in properties.items():
            if key == "amount" and "currency" in properties:
                self.walk(prop, where, "money_amount")  # a Money object's own amount
            else:
                self.walk(prop, where, key)
        if isinstance(schema.get("items"), dict):
            self.walk(schema["items"], where, name)
        if isinstance(schema.get("additionalProperties"), dict):
            self.walk(schema["additionalProperties"], where, name)
        for value in schema.get("enum", []):
            if isinstance(value, str) and not SNAKE.match(value):
                self.flag(f"{where}", f"enum value {value!r} is not snake_case")

    def field(self, schema: dict[str, Any], options: list[Any], where: str, name: str) -> None:
        at = f"{where}.{name}"
        kinds = [schema, *options]
        if any(k.get("type") == "number" for k in kinds):
            self.flag(at, "a JSON number (decimals are strings)")
        if MONEY_NAME.search(name) and not NOT_MONEY.search(name):
            if any(decimal_string(k) for k in kinds):
                self.flag(at, "money as a bare decimal string (use a Money object)")
            elif not NOT_AN_AMOUNT.search(name) and any(plain_string(k) for k in kinds):
                self.flag(at, "money as a bare string (use a Money object)")
        if DURATION_UNITS.search(name):
            self.flag(at, "a duration not in seconds")
        formats = {k.get("format") for k in kinds}
        if name.endswith("_at") and "date-time" not in formats:
            self.flag(at, "an *_at that is not a date-time")
        if name.endswith("_on") and "date" not in formats:
            self.flag(at, "an *_on that is not a date")
        is_id = (name == "id" or name.endswith("_id")) and name not in FOREIGN_IDS
        is_list = any(k.get("type") == "array" for k in kinds)
        if is_id and "uuid" not in formats and not is_list:
            self.flag(at, "an id that is not a UUID")


def violations(service: str) -> set[str]:
    document = importlib.import_module(f"datapark_{service}.app").build_app().openapi()
    walker = Walker(service, document)
    for path, operations in document["paths"].items():
        if path in HEALTH or not path.startswith("/v1/"):
            continue  # the Dataspace Protocol's own shapes are the protocol's, not ours
        for method, op in operations.items():
            names = {param["name"] for param in op.get("parameters", [])}
            for param in op.get("parameters", []):
                if param["in"] in ("query", "path"):
                    # A query string holds no object: a money bound there is its amount beside
                    # a ``currency`` parameter (``min_price=600.00&currency=CNY``).
                    amount = param["in"] == "query" and "currency" in names
                    name = param["name"]
                    walker.field(
                        param["schema"],
                        param["schema"].get("anyOf", []),
                        path,
                        "money_amount" if amount and MONEY_NAME.search(name) else name,
                    )
            body = op.get("requestBody", {}).get("content", {})
            for media in body.values():
                walker.walk(media.get("schema"), f"{method.upper()} {path}")
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    continue
                for media in response.get("content", {}).values():
                    schema = media.get("schema", {})
                    if method == "get" and schema.get("type") == "array":
                        walker.flag(f"GET {path}", "a list answered as a bare array")
                    target = schema.get("$ref", "").rsplit("/", 1)[-1]
                    page = walker.schemas.get(target, {}).get("properties", {})
                    if "items" in page and "next_cursor" not in page and method == "get":
                        walker.flag(f"GET {path}", "a page without next_cursor")
                    walker.walk(schema, f"{method.upper()} {path}")
    return walker.found


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_speaks_the_vocabulary(service: str) -> None:
    found = sorted(violations(service))
    assert not found, "departures from docs/CONVENTIONS.md 'The HTTP language':\n" + "\n".join(
        found
    )


def test_the_walker_catches_each_rule() -> None:
    document: dict[str, Any] = {
        "components": {
            "schemas": {
                "Bad": {
                    "type": "object",
                    "properties": {
                        "price": {"type": "string", "pattern": r"^\d+\.\d{2}$"},
                        "late_fee": {"type": "string"},
                        "price_kind": {"type": "string"},
                        "ratio": {"type": "number"},
                        "duration_days": {"type": "integer"},
                        "signed_at": {"type": "string", "format": "date"},
                        "owner_id": {"type": "string"},
                        "state": {"type": "string", "enum": ["InReview"]},
                    },
                }
            }
        }
    }
    walker = Walker("x", document)
    walker.walk({"$ref": "#/components/schemas/Bad"}, "POST /v1/bad")
    rules = {line.rsplit(": ", 1)[-1] for line in walker.found}
    assert rules == {
        "money as a bare decimal string (use a Money object)",
        "money as a bare string (use a Money object)",
        "a JSON number (decimals are strings)",
        "a duration not in seconds",
        "an *_at that is not a date-time",
        "an id that is not a UUID",
        "enum value 'InReview' is not snake_case",
    }
