"""The published OpenAPI documents say what the services answer: problems, idempotency, ids.

Each service's app is built (no I/O: resources live in the lifespan) and its document read as a
partner would read it."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from datapark_kit.errors import ProblemCode
from datapark_kit.openapi import (
    KIT_PROBLEMS,
    VERBS,
    KitCode,
    finish_document,
    operation_id,
    problems,
)
from datapark_kit.problems import PROBLEM_JSON

SERVICES = ("catalog", "trading", "rental", "subsidy")
HEALTH = {"/healthz", "/readyz", "/metrics"}


@pytest.fixture(scope="module", params=SERVICES)
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    app = importlib.import_module(f"datapark_{request.param}.app").build_app()
    return app.openapi()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if path not in HEALTH
    ]


def test_problem_schema_replaces_fastapis_validation_error(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas
    assert "ValidationProblem" in schemas
    assert set(schemas["Problem"]["required"]) >= {"type", "title", "status", "detail", "code"}
    assert "HTTPValidationError" not in schemas
    assert "HTTPValidationError" not in str(document)


def test_every_error_response_is_a_problem_with_its_codes(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            where = f"{method.upper()} {path} {status}"
            assert list(response["content"]) == [PROBLEM_JSON], where
            assert response["x-problem-codes"], where
            kit_codes = {str(c) for c in KIT_PROBLEMS[int(status)][1]}
            assert kit_codes <= set(response["x-problem-codes"]), where
            if status in ("429", "503"):
                assert "Retry-After" in response["headers"], where


def test_operations_list_the_problems_they_can_return(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        statuses = set(op["responses"])
        assert "503" in statuses, where
        if op.get("security"):
            assert {"401", "403"} <= statuses, where
        if "{" in path:
            assert "404" in statuses, where
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in statuses, where
        if method in ("post", "put", "patch", "delete"):
            assert {"400", "409", "422"} <= statuses, where
        if op.get("requestBody"):
            assert {"408", "413"} <= statuses, where


def test_every_unit_of_work_post_declares_idempotency_key(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        if method != "post" or not path.startswith("/v1/") or path == "/v1/auth/token":
            continue
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path


def test_operation_ids_are_unique_verbs_in_camel_case(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for found in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", found), found
        verb = re.match(r"[a-z]+", found)
        assert verb is not None, found
        assert verb.group(0) in VERBS | {"send"}, found


def test_the_token_endpoint_documents_its_rate_limit() -> None:
    app = importlib.import_module("datapark_catalog.app").build_app()
    op = app.openapi()["paths"]["/v1/auth/token"]["post"]
    assert op["operationId"] == "issueToken"
    assert op["responses"]["429"]["x-problem-codes"] == ["rate_limited"]
    quota = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"}
    assert set(op["responses"]["429"]["headers"]) == quota | {"Retry-After"}
    for status in ("200", "401"):  # every answer the limiter counted
        assert quota <= set(op["responses"][status]["headers"]), status
    for status in ("400", "422", "503"):  # refused before it counts, or the database failed
        assert "RateLimit-Limit" not in op["responses"][status].get("headers", {}), status
    others = app.openapi()["paths"]["/v1/participants"]["get"]["responses"]
    assert not any("RateLimit-Limit" in r.get("headers", {}) for r in others.values())


def test_operation_id_rule() -> None:
    assert operation_id("create_booking", "post", ["bookings"]) == "createBooking"
    assert operation_id("balance_sheet", "get", ["valuations"]) == "getBalanceSheet"
    assert operation_id("accept", "post", ["negotiations"]) == "acceptNegotiation"
    assert operation_id("contract_request", "post", ["dsp"]) == "requestContract"
    assert operation_id("initial_offer", "post", ["dsp"]) == "sendInitialOffer"


class Sample(ProblemCode):
    SLOT_TAKEN = "slot_taken", 409, "The slot is held by another booking."
    TOO_EARLY = "too_early", 422


def test_a_routes_own_codes_are_documented_beside_the_kits() -> None:
    assert Sample.SLOT_TAKEN == "slot_taken"
    assert Sample.SLOT_TAKEN.status == 409
    router = APIRouter()

    @router.post("/v1/slots", responses=problems(Sample.SLOT_TAKEN, Sample.TOO_EARLY))
    async def hold_slot() -> dict[str, str]:
        return {}

    @router.get("/v1/slots/{slot_id}", operation_id="fetchTheSlot")
    async def slot(slot_id: str) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    document = finish_document(
        app.openapi(), idempotent_posts={("post", "/v1/slots")}, rate_limited=frozenset()
    )
    post = document["paths"]["/v1/slots"]["post"]
    assert post["operationId"] == "holdSlot"
    assert "slot_taken" in post["responses"]["409"]["x-problem-codes"]
    assert "invalid_state" in post["responses"]["409"]["x-problem-codes"]
    assert "too_early" in post["responses"]["422"]["x-problem-codes"]
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
    assert "404" not in post["responses"]  # nothing in the request names a resource
    get = document["paths"]["/v1/slots/{slot_id}"]["get"]
    assert get["operationId"] == "fetchTheSlot"
    assert "404" in get["responses"]
    assert "409" not in get["responses"]


# Each service's problem-code catalogue, whose members its raise sites pass.
CATALOGUED = {
    "catalog": "datapark_catalog.problems:CatalogProblem",
    "rental": "datapark_rental.problems:RentalProblem",
    "subsidy": "datapark_subsidy.problems:SubsidyProblem",
    "trading": "datapark_trading.problems:TradingProblem",
}
# Files whose ``code=`` strings are not problems: the Dataspace Protocol's own message codes.
NOT_PROBLEMS = {"dsp/notifier.py"}


@pytest.mark.parametrize("service", sorted(CATALOGUED))
def test_catalogued_services_raise_members_and_document_each(service: str) -> None:
    from pathlib import Path

    module, name = CATALOGUED[service].split(":")
    catalogue = getattr(importlib.import_module(module), name)
    src = Path(importlib.import_module(f"datapark_{service}").__file__ or "").parent
    literals = [
        f"{path.relative_to(src)}:{number}"
        for path in src.rglob("*.py")
        if str(path.relative_to(src)) not in NOT_PROBLEMS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bcode=[\"']", line)
    ]
    assert not literals, f"raise sites with a code outside the catalogue: {literals}"
    app = importlib.import_module(f"datapark_{service}.app").build_app()
    documented = {
        code
        for ops in app.openapi()["paths"].values()
        for op in ops.values()
        for response in op["responses"].values()
        for code in response.get("x-problem-codes", ())
    }
    missing = {str(member) for member in catalogue} - documented
    assert not missing, f"catalogued codes no operation documents: {sorted(missing)}"


def test_a_route_declares_a_kit_status_the_rules_do_not_see() -> None:
    router = APIRouter()

    @router.post("/v1/usage", responses=problems(KitCode.NOT_FOUND))
    async def record_usage(access_token: str) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    document = finish_document(app.openapi(), idempotent_posts=set(), rate_limited=frozenset())
    responses = document["paths"]["/v1/usage"]["post"]["responses"]
    assert responses["404"]["x-problem-codes"] == ["not_found"]
    assert responses["404"]["content"][PROBLEM_JSON]["schema"]["$ref"].endswith("/Problem")
