"""JSON Schemas of every event payload, exported into the repository, and the AsyncAPI document.

``python -m datapark_contracts.schemas export`` rewrites ``libs/contracts/schemas/``;
``check`` fails when the committed files are stale or a change breaks backward compatibility
(a consumer written against the committed schema must still read every new event): no
property removed, no property's type changed, no new required property. Breaking changes get
a new type name (``.v2``) instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from datapark_contracts.asyncapi import asyncapi_document
from datapark_contracts.payloads import all_event_types

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def current_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: model.model_json_schema(mode="serialization")
        for name, model in all_event_types().items()
    }


def committed_schemas(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text())
        for path in sorted(directory.glob("datapark.*.json"))
    }


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = schema["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return node


def _types(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return set().union(*(_types(schema, n) for n in node["anyOf"]))
    if "type" in node:
        t = node["type"]
        return set(t) if isinstance(t, list) else {t}
    if "enum" in node or "const" in node:
        return {"enum"}
    return {"any"}


def incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What in ``new`` would break a reader of ``old``."""
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}{name}: property removed")
            continue
        before, after = _types(old, old_props[name]), _types(new, new_props[name])
        if not after <= before and "any" not in before:
            problems.append(f"{path}{name}: type changed from {sorted(before)} to {sorted(after)}")
        old_node, new_node = _resolve(old, old_props[name]), _resolve(new, new_props[name])
        if "enum" in old_node and "enum" in new_node:
            removed = set(old_node["enum"]) - set(new_node["enum"])
            if removed:
                problems.append(f"{path}{name}: enum values removed {sorted(removed)}")
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(added_required):
        if name not in old_props:
            problems.append(f"{path}{name}: new required property")
    return problems


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in current_schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    (directory / "asyncapi.json").write_text(
        json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    return written


def check(directory: Path = SCHEMA_DIR) -> list[str]:
    """Every problem: broken compatibility, a removed type, or files not matching the code."""
    problems: list[str] = []
    current, committed = current_schemas(), committed_schemas(directory)
    for name, old in committed.items():
        if name not in current:
            problems.append(f"{name}: event type removed (publish a new version instead)")
            continue
        problems.extend(f"{name}: {p}" for p in incompatibilities(old, current[name]))
    for name, schema in current.items():
        if committed.get(name) != json.loads(json.dumps(schema)):
            problems.append(f"{name}: exported schema is stale; run the export")
    asyncapi = directory / "asyncapi.json"
    if not asyncapi.exists() or json.loads(asyncapi.read_text()) != asyncapi_document():
        problems.append("asyncapi.json is stale; run the export")
    return problems


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "export":
        written = export()
        print(f"exported {len(written)} event schemas to {SCHEMA_DIR}")
        return 0
    problems = check()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
