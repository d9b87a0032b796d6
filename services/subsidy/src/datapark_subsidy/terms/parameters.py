"""Dated policy parameters, the OpenFisca way: one YAML file per parameter.

Each file holds a ``description``, a ``reference`` (the policy text or source it comes from), a
``unit`` and ``values`` keyed by date: ``values: {2025-01-01: {value: 0.05}}``. A value holds from
its date until the next dated value; ``value: null`` ends a parameter (not in force from then).
A parameter's name is its path under the parameter folder with dots, e.g.
``beijing_financing_lease/rate.yaml`` is ``beijing_financing_lease.rate``.

A policy change is a new dated value in a file, never a code change. The files' version (a
sha256 over their paths and bytes) is recorded with every computation, so an auditor replaying
the log can tell exactly which files produced a figure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from datapark_kit.errors import Unprocessable
from datapark_subsidy.problems import SubsidyProblem

PACKAGED_PARAMETERS = "datapark_subsidy.policies"
"""Package whose ``parameters/`` folder ships the policy files (the data of the policies, beside
their HTTP surface; the values and their loader are terms every domain reads)."""

ParameterValue = Decimal | int | bool | str | tuple[str, ...]
"""What a parameter can hold at a date: a ratio or amount, a count of days, a flag, a keyword
(one reading out of several, e.g. ``financing_cost``), a code list."""

UNITS = (
    "/1",
    "currency-CNY",
    "day",
    "bool",
    "keyword",
    "division-code-prefixes",
    "category-list",
)
_ALLOWED_KEYS = frozenset({"description", "reference", "unit", "values", "documentation"})
_DIVISION_PREFIX = re.compile(r"^[0-9]{2,6}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
_CENT = Decimal("0.01")


class ParameterError(Unprocessable):
    """A parameter file (or a simulation's changed parameter) is malformed; names the culprit."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}", field=where, code=SubsidyProblem.INVALID_PARAMETER)
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class DatedValue:
    """One value of a parameter and the day it takes effect (``None`` = no longer in force)."""

    effective_from: date
    value: ParameterValue | None


@dataclass(frozen=True, slots=True)
class Reading:
    """What a rule read: a parameter's value on a date, with the date that value took effect."""

    parameter: str
    value: ParameterValue
    effective_from: date
    unit: str

    def render(self) -> str:
        """The value as an auditor reads it: ``0.05``, ``10000000.00``, ``[11]``, ``true``."""
        return render_value(self.value)


def render_value(value: ParameterValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class Parameter:
    """One dated parameter as loaded from its file."""

    name: str
    description: str
    references: tuple[str, ...]
    unit: str
    values: tuple[DatedValue, ...]
    """Sorted by ``effective_from``."""

    def at(self, on: date) -> Reading | None:
        """The value in force on ``on``, or ``None`` before the first value or after an end."""
        current: DatedValue | None = None
        for dated in self.values:
            if dated.effective_from > on:
                break
            current = dated
        if current is None or current.value is None:
            return None
        return Reading(self.name, current.value, current.effective_from, self.unit)

    def first_on_or_after(self, start: date, before: date) -> Reading | None:
        """The first value in force somewhere in ``[start, before)`` (for a period's cap)."""
        reading = self.at(start)
        if reading is not None:
            return reading
        for dated in self.values:
            if start <= dated.effective_from < before and dated.value is not None:
                return Reading(self.name, dated.value, dated.effective_from, self.unit)
        return None


class ParameterNotInForce(Unprocessable):
    """A rule needed a parameter on a date for which no value is in force."""

    def __init__(self, name: str, on: date) -> None:
        super().__init__(
            f"parameter {name} has no value in force on {on.isoformat()}",
            field=name,
            code=SubsidyProblem.PARAMETER_NOT_IN_FORCE,
        )


@dataclass(frozen=True)
class ParameterSet:
    """Every policy parameter, plus the version of the files they came from."""

    parameters: Mapping[str, Parameter]
    version: str
    overrides: Mapping[str, tuple[DatedValue, ...]] = field(default_factory=dict)
    """Changed values applied on top of the files (simulations only; empty for real claims)."""

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self.parameters[name] for name in sorted(self.parameters))

    def get(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(name, "no such parameter") from None

    def read(self, name: str, on: date) -> Reading:
        reading = self.get(name).at(on)
        if reading is None:
            raise ParameterNotInForce(name, on)
        return reading

    def read_optional(self, name: str, on: date) -> Reading | None:
        return self.get(name).at(on)

    def decimal(self, name: str, on: date) -> tuple[Decimal, Reading]:
        reading = self.read(name, on)
        value = reading.value
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ParameterError(name, f"expected a number, holds {render_value(value)}")
        return Decimal(value), reading

    def codes(self, name: str, on: date) -> tuple[tuple[str, ...], Reading]:
        reading = self.read(name, on)
        if not isinstance(reading.value, tuple):
            raise ParameterError(name, f"expected a code list, holds {reading.render()}")
        return reading.value, reading

    def flag(self, name: str, on: date) -> tuple[bool, Reading]:
        reading = self.read(name, on)
        if not isinstance(reading.value, bool):
            raise ParameterError(name, f"expected true or false, holds {reading.render()}")
        return reading.value, reading

    def keyword(self, name: str, on: date, allowed: tuple[str, ...]) -> tuple[str, Reading]:
        """A keyword parameter (one reading out of ``allowed``) in force on ``on``."""
        reading = self.read(name, on)
        value = reading.value
        if not isinstance(value, str) or value not in allowed:
            raise ParameterError(
                name, f"expected one of {', '.join(allowed)}, holds {render_value(value)}"
            )
        return value, reading

    def days(self, name: str, on: date) -> tuple[int, Reading]:
        reading = self.read(name, on)
        value = reading.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(
                name, f"expected a whole number of days, holds {render_value(value)}"
            )
        return value, reading

    def with_overrides(self, changes: Mapping[str, Mapping[Any, Any]]) -> ParameterSet:
        """A copy where each named parameter gets the given dated values merged in.

        ``changes`` looks like the ``values`` of a file: ``{"beijing_financing_lease.rate":
        {"2025-01-01": "0.06"}}``; a dated value replaces the one of the same date or is added,
        and holds until the parameter's next date. The version becomes the files' version plus a
        hash of the changes, so a simulated figure can never pass for a real one.
        """
        merged = dict(self.parameters)
        applied: dict[str, tuple[DatedValue, ...]] = {}
        for name, raw_values in changes.items():
            base = self.get(name)
            new = _parse_values(name, base.unit, {k: {"value": v} for k, v in raw_values.items()})
            by_date = {d.effective_from: d for d in base.values}
            by_date.update({d.effective_from: d for d in new})
            merged[name] = Parameter(
                name,
                base.description,
                base.references,
                base.unit,
                tuple(by_date[k] for k in sorted(by_date)),
            )
            applied[name] = new
        if not applied:
            return self
        canonical = json.dumps(
            {
                n: {d.effective_from.isoformat(): _jsonable(d.value) for d in v}
                for n, v in sorted(applied.items())
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return ParameterSet(merged, f"{self.version}+changed:{digest}", applied)


def _jsonable(value: ParameterValue | None) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def parse_parameter(name: str, text: str) -> Parameter:
    """Validate one parameter file's text; raise :class:`ParameterError` naming what is wrong."""
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ParameterError(name, f"not valid YAML ({exc})") from None
    except ValueError as exc:  # PyYAML's date constructor: "month must be in 1..12"
        raise ParameterError(name, f"a date is not a date ({exc})") from None
    if not isinstance(document, dict):
        raise ParameterError(name, "expected a mapping with description, reference, unit, values")
    unknown = set(document) - _ALLOWED_KEYS
    if unknown:
        raise ParameterError(name, f"unknown keys {sorted(map(str, unknown))}")
    description = document.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ParameterError(name, "description is missing")
    references = document.get("reference")
    if isinstance(references, str):
        references = [references]
    if (
        not isinstance(references, list)
        or not references
        or not all(isinstance(r, str) and r.strip() for r in references)
    ):
        raise ParameterError(name, "reference is missing: say where the rule comes from")
    unit = document.get("unit")
    if unit not in UNITS:
        raise ParameterError(name, f"unit must be one of {', '.join(UNITS)}; got {unit!r}")
    values = _parse_values(name, unit, document.get("values"))
    return Parameter(name, description.strip(), tuple(r.strip() for r in references), unit, values)


def _parse_values(name: str, unit: str, raw: object) -> tuple[DatedValue, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ParameterError(name, "values must map dates to {value: ...}")
    parsed: dict[date, DatedValue] = {}
    for raw_date, entry in raw.items():
        effective = _parse_date(name, raw_date)
        if effective in parsed:
            raise ParameterError(name, f"date {effective.isoformat()} appears twice")
        if not isinstance(entry, dict) or set(entry) != {"value"}:
            raise ParameterError(name, f"{effective.isoformat()}: expected {{value: ...}}")
        value = entry["value"]
        parsed[effective] = DatedValue(
            effective,
            None if value is None else _parse_value(f"{name}@{effective.isoformat()}", unit, value),
        )
    return tuple(parsed[d] for d in sorted(parsed))


def _parse_date(name: str, raw: object) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ParameterError(name, f"{raw!r} is not a date (YYYY-MM-DD)")


def _parse_value(where: str, unit: str, raw: object) -> ParameterValue:
    if unit == "bool":
        if not isinstance(raw, bool):
            raise ParameterError(where, f"expected true or false, got {raw!r}")
        return raw
    if unit == "keyword":
        if not isinstance(raw, str) or not _CATEGORY.match(raw):
            raise ParameterError(where, f"expected a keyword matching {_CATEGORY.pattern}")
        return raw
    if unit == "day":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ParameterError(where, f"expected a whole number of days >= 0, got {raw!r}")
        return raw
    if unit in ("division-code-prefixes", "category-list"):
        pattern = _DIVISION_PREFIX if unit == "division-code-prefixes" else _CATEGORY
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(c, str) and pattern.match(c) for c in raw)
        ):
            raise ParameterError(where, f"expected a non-empty list matching {pattern.pattern}")
        if len(set(raw)) != len(raw):
            raise ParameterError(where, "a code appears twice")
        return tuple(raw)
    number = _parse_decimal(where, raw)
    if unit == "/1" and not Decimal(0) <= number <= Decimal(1):
        raise ParameterError(where, f"a rate must lie in [0, 1], got {number}")
    if unit == "currency-CNY":
        if number < 0:
            raise ParameterError(where, f"an amount cannot be negative, got {number}")
        if number != number.quantize(_CENT):
            raise ParameterError(where, f"an amount has at most two decimals (fen), got {number}")
        return number.quantize(_CENT)
    return number


def _parse_decimal(where: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ParameterError(where, f"expected a number, got {raw!r}")
    try:
        # str() of a YAML float is its shortest round-tripping spelling: 0.05 -> "0.05".
        number = Decimal(str(raw))
    except InvalidOperation:
        raise ParameterError(where, f"expected a number, got {raw!r}") from None
    if not number.is_finite():
        raise ParameterError(where, f"expected a finite number, got {raw!r}")
    return number


def load_parameters(root: Traversable | Path | None = None) -> ParameterSet:
    """Load and validate every ``*.yaml`` under ``root`` (default: the files shipped here)."""
    folder: Traversable = (
        resources.files(PACKAGED_PARAMETERS).joinpath("parameters") if root is None else root
    )
    files = sorted(_yaml_files(folder, ()), key=lambda item: item[0])
    if not files:
        raise ParameterError(str(folder), "no parameter files found")
    digest = hashlib.sha256()
    parameters: dict[str, Parameter] = {}
    for relative, node in files:
        data = node.read_bytes()
        digest.update(relative.encode() + b"\0" + data + b"\0")
        name = relative.removesuffix(".yaml").replace("/", ".")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ParameterError(name, "not UTF-8 text") from None
        parameters[name] = parse_parameter(name, text)
    return ParameterSet(parameters, f"sha256:{digest.hexdigest()}")


def _yaml_files(node: Traversable, prefix: tuple[str, ...]) -> Iterator[tuple[str, Traversable]]:
    for child in node.iterdir():
        if child.is_dir():
            yield from _yaml_files(child, (*prefix, child.name))
        elif child.name.endswith(".yaml"):
            yield "/".join((*prefix, child.name)), child
