"""Every example in the four OpenAPI documents is valid against the schema beside it.

Examples are what a partner copies first; one that the service would refuse (or that its
answer never looks like) is worse than none. Checked: request and response media examples
(among them the ones ``datapark_kit.openapi.add_examples`` lifts from the models into every
operation, and the pages it makes from an item's example), parameter examples, and the
``examples`` of component schemas. That every operation has them:
test_kit_openapi_operation_examples.py."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

SERVICES = ("catalog", "trading", "rental", "subsidy")


def examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example the document gives."""
    for name, schema in document["components"]["schemas"].items():
        for index, example in enumerate(schema.get("examples", [])):
            yield (
                f"components.{name}.examples[{index}]",
                {"$ref": f"#/components/schemas/{name}"},
                example,
            )
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                if "example" in param:
                    yield f"{where} {param['name']}", param["schema"], param["example"]
            media = [("request", m) for m in op.get("requestBody", {}).get("content", {}).values()]
            for status, response in op["responses"].items():
                media += [(status, m) for m in response.get("content", {}).values()]
            for label, content in media:
                if "schema" not in content:
                    continue
                if "example" in content:
                    yield f"{where} {label}", content["schema"], content["example"]
                for key, named in (content.get("examples") or {}).items():
                    yield f"{where} {label} {key}", content["schema"], named.get("value")


@pytest.mark.parametrize("service", SERVICES)
def test_every_example_matches_its_schema(service: str) -> None:
    document = importlib.import_module(f"datapark_{service}.app").build_app().openapi()
    checked = 0
    wrong: list[str] = []
    for where, schema, example in examples(document):
        validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
        errors = list(validator.iter_errors(example))
        checked += 1
        if errors:
            wrong.append(f"{where}: {errors[0].message[:200]}")
    assert checked > 0
    assert not wrong, "\n".join(wrong)
