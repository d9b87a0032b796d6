"""Turn Kubernetes' OpenAPI v3 spec and CRDs into kubeconform's JSON Schemas, strictly.

    python schemas.py OUT --openapi <k8s>/api/openapi-spec/v3 --crds <dir> [--crds <dir> ...]

Writes ``OUT/<group>/<kind>_<version>.json`` (core kinds: ``OUT/v1/<kind>_v1.json``), the
layout of kubeconform's ``-schema-location 'OUT/{{ .Group }}/{{ .ResourceKind }}_{{
.ResourceAPIVersion }}.json'``. Strict means: an object schema that lists its properties and
does not say otherwise (``additionalProperties``, ``x-kubernetes-preserve-unknown-fields``)
refuses any other field, so a misspelt or misplaced field fails validation instead of being
silently dropped by the API server. ``nullable`` becomes a null type; ``format`` is dropped
(Kubernetes' formats such as int32 or int-or-string are not JSON Schema formats).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REF_PREFIX = "#/components/schemas/"


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without the ``=`` value token (a CRD enum may list "=" as a plain string)."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties", "not", "additionalItems")


def strict(node: Any) -> Any:
    """A copy of the schema ``node`` with unknown fields refused and Kubernetes extensions
    translated (property names are never mistaken for keywords)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "format":
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strict(schema) for name, schema in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strict(schema) for schema in value]
        elif key in SCHEMA_VALUES and isinstance(value, dict):
            out[key] = strict(value)
        else:
            out[key] = value
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        out["$ref"] = "#/definitions/" + ref[len(REF_PREFIX) :]
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX) :])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(name: str, components: dict[str, Any]) -> dict[str, Any]:
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in components:
            continue
        seen.add(current)
        found: set[str] = set()
        _refs(components[current], found)
        todo.extend(found - seen)
    return {n: strict(components[n]) for n in sorted(seen)}


def _target(out: Path, group: str, kind: str, version: str) -> Path:
    # kubeconform's {{ .Group }} of a core kind ("v1") is its version
    folder = out / (group or version)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind.lower()}_{version}.json"


def _pin(schema: dict[str, Any], group: str, kind: str, version: str) -> dict[str, Any]:
    api_version = f"{group}/{version}" if group else version
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "enum": [api_version]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    return schema


def convert_openapi(folder: Path, out: Path) -> int:
    written = 0
    for spec_file in sorted(folder.glob("*_openapi.json")):
        components = json.loads(spec_file.read_text()).get("components", {}).get("schemas", {})
        for name, component in components.items():
            gvks = component.get("x-kubernetes-group-version-kind") or []
            if len(gvks) != 1:
                continue  # meta types shared by every group (DeleteOptions, WatchEvent, ...)
            gvk = gvks[0]
            definitions = _closure(name, components)
            root = _pin(dict(definitions[name]), gvk["group"], gvk["kind"], gvk["version"])
            document = {"$schema": "http://json-schema.org/draft-07/schema#", **root}
            document["definitions"] = definitions
            path = _target(out, gvk["group"], gvk["kind"], gvk["version"])
            path.write_text(json.dumps(document))
            written += 1
    return written


def convert_crds(folder: Path, out: Path) -> int:
    written = 0
    for crd_file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        for crd in yaml.load_all(crd_file.read_text(), Loader=_Loader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if not schema:
                    continue
                root = _pin(strict(schema), group, kind, version["name"])
                document = {"$schema": "http://json-schema.org/draft-07/schema#", **root}
                _target(out, group, kind, version["name"]).write_text(json.dumps(document))
                written += 1
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--openapi", type=Path, required=True)
    parser.add_argument("--crds", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    core = convert_openapi(args.openapi, args.out)
    custom = sum(convert_crds(folder, args.out) for folder in args.crds)
    if core == 0 or custom == 0:
        print(f"schemas: nothing converted (core {core}, CRDs {custom})", file=sys.stderr)
        return 1
    print(f"schemas: {core} Kubernetes kinds, {custom} CRD versions -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
