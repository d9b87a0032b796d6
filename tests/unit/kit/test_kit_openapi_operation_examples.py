"""Every operation of the four OpenAPI documents shows what to send and what comes back.

An operation with a JSON request body has a request example, and each of its 2xx JSON
responses a response example (issue #13: "at least one request and response example per
operation"). Whether each example is valid against its schema is checked beside this, over
every example of the documents (test_kit_openapi_examples.py). A model gives its example with
``model_config = ConfigDict(json_schema_extra={"examples": [...]})``; the kit lifts it into
each operation that reads or answers it (datapark_kit.openapi)."""

from __future__ import annotations

import importlib
import uuid

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from datapark_kit.openapi import finish_document

SERVICES = ("catalog", "trading", "rental", "subsidy")
HEALTH = {"/healthz", "/readyz", "/metrics"}
JSON = "application/json"


def gaps(service: str) -> set[str]:
    """``<service>: <METHOD> <path> <request|status>`` for each JSON body without an example."""
    document = importlib.import_module(f"datapark_{service}.app").build_app().openapi()
    found: set[str] = set()
    for path, operations in document["paths"].items():
        if path in HEALTH:
            continue
        for method, op in operations.items():
            where = f"{service}: {method.upper()} {path}"
            media = [("request", op.get("requestBody", {}).get("content", {}))]
            media += [
                (status, response.get("content", {}))
                for status, response in op["responses"].items()
                if status.startswith("2")
            ]
            for label, content in media:
                body = content.get(JSON)
                if body is not None and "example" not in body and not body.get("examples"):
                    found.add(f"{where} {label}")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_shows_a_request_and_response_example(service: str) -> None:
    found = sorted(gaps(service))
    assert not found, "JSON bodies without an example (give the model one):\n" + "\n".join(found)


class Slot(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "0b5c3a7e-8f61-4d7e-9a0e-3c1f2b4d5e6f"}]}
    )
    id: uuid.UUID


class SlotPage(BaseModel):
    items: list[Slot]
    next_cursor: str | None


class SlotIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"hours": 4}, {"hours": 8}]})
    hours: int


class Unshown(BaseModel):
    hours: int


def test_model_examples_are_lifted_into_each_operation() -> None:
    app = FastAPI()

    @app.post("/v1/slots", status_code=201)
    async def hold_slot(body: SlotIn) -> Slot:
        raise NotImplementedError

    @app.get("/v1/slots")
    async def list_slots() -> SlotPage:
        raise NotImplementedError

    @app.get("/v1/slots/{slot_id}")
    async def get_slot(slot_id: uuid.UUID) -> list[Slot]:
        raise NotImplementedError

    @app.put("/v1/slots/{slot_id}")
    async def change_slot(slot_id: uuid.UUID, body: Unshown) -> Unshown:
        raise NotImplementedError

    document = finish_document(app.openapi(), idempotent_posts=set(), rate_limited=frozenset())
    slot = {"id": "0b5c3a7e-8f61-4d7e-9a0e-3c1f2b4d5e6f"}
    post = document["paths"]["/v1/slots"]["post"]
    assert post["requestBody"]["content"][JSON]["example"] == {"hours": 4}  # the first
    assert post["responses"]["201"]["content"][JSON]["example"] == slot
    page = document["paths"]["/v1/slots"]["get"]["responses"]["200"]["content"][JSON]
    assert page["example"] == {"items": [slot], "next_cursor": None}
    one = document["paths"]["/v1/slots/{slot_id}"]["get"]
    assert one["responses"]["200"]["content"][JSON]["example"] == [slot]
    (param,) = one["parameters"]
    assert uuid.UUID(param["example"])
    put = document["paths"]["/v1/slots/{slot_id}"]["put"]
    assert "example" not in put["requestBody"]["content"][JSON]  # no model example, none made
    assert "example" not in put["responses"]["200"]["content"][JSON]
    # Problem responses keep their own examples.
    assert post["responses"]["422"]["content"]["application/problem+json"]["example"]
