"""The policy files: they load, they are validated, and their values hold from date to date."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from datapark_subsidy.terms.parameters import (
    ParameterError,
    ParameterNotInForce,
    load_parameters,
    parse_parameter,
)
from datapark_subsidy.terms.policies import POLICIES, Region, region_of

GOOD = """\
description: A rate.
reference: somewhere
unit: /1
values:
  2025-01-01: {value: 0.05}
  2026-01-01: {value: 0.04}
  2027-01-01: {value: null}
"""


def test_shipped_files_load_with_sources_and_a_sha256_version() -> None:
    params = load_parameters()
    assert params.version.startswith("sha256:")
    assert len(params.version) == 7 + 64
    names = {p.name for p in params}
    for policy in POLICIES.values():
        assert policy.cap_parameter in names
    assert {
        "regions.beijing",
        "regions.xiongan",
        "regions.fujian",
        "beijing_financing_lease.qualifying_equipment_categories",
    } <= names
    for parameter in params:
        assert parameter.references
        assert parameter.description


def test_shipped_values_are_the_policy_texts() -> None:
    params = load_parameters()
    on = date(2025, 12, 1)
    assert params.decimal("beijing_financing_lease.rate", on)[0] == Decimal("0.05")
    assert params.decimal("beijing_financing_lease.annual_cap", on)[0] == Decimal("10000000.00")
    assert params.decimal("xiongan_robot_leasing.rate", on)[0] == Decimal("0.1")
    assert params.decimal("xiongan_robot_leasing.annual_cap", on)[0] == Decimal("1000000.00")
    assert params.decimal("fujian_data_cluster.max_per_designation", on)[0] == 10_000_000
    assert params.decimal("fujian_data_park.max_per_designation", on)[0] == 5_000_000
    assert params.codes("regions.xiongan", on)[0][:3] == ("130629", "130632", "130638")


def test_version_changes_when_a_file_changes(tmp_path: Path) -> None:
    source = Path(__file__).parents[3] / "services/subsidy/src/datapark_subsidy/policies/parameters"
    copy = tmp_path / "parameters"
    shutil.copytree(source, copy)
    assert load_parameters(copy).version == load_parameters().version
    rate = copy / "beijing_financing_lease" / "rate.yaml"
    rate.write_text(rate.read_text() + "  2027-01-01:\n    value: 0.03\n")
    changed = load_parameters(copy)
    assert changed.version != load_parameters().version
    assert changed.decimal("beijing_financing_lease.rate", date(2027, 1, 1))[0] == Decimal("0.03")


def test_a_value_holds_from_its_date_until_the_next() -> None:
    parameter = parse_parameter("x.rate", GOOD)
    assert parameter.at(date(2024, 12, 31)) is None
    first = parameter.at(date(2025, 1, 1))
    assert first is not None
    assert first.value == Decimal("0.05")
    last_day = parameter.at(date(2025, 12, 31))
    assert last_day is not None
    assert last_day.value == Decimal("0.05")
    second = parameter.at(date(2026, 1, 1))
    assert second is not None
    assert second.value == Decimal("0.04")
    assert second.effective_from == date(2026, 1, 1)
    assert parameter.at(date(2027, 1, 1)) is None  # value: null ends it


def test_reading_a_parameter_out_of_force_names_it() -> None:
    with pytest.raises(ParameterNotInForce, match=r"beijing_financing_lease\.rate"):
        load_parameters().read("beijing_financing_lease.rate", date(2024, 1, 1))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not: [valid", "not valid YAML"),
        ("- a list", "expected a mapping"),
        (GOOD.replace("description: A rate.\n", ""), "description is missing"),
        (GOOD.replace("reference: somewhere\n", ""), "reference is missing"),
        (GOOD.replace("unit: /1", "unit: percent"), "unit must be one of"),
        (GOOD + "colour: blue\n", "unknown keys"),
        (GOOD.replace("0.05", "1.5"), "a rate must lie in [0, 1]"),
        (GOOD.replace("0.05", "'five'"), "expected a number"),
        (GOOD.replace("2025-01-01", "2025-13-01"), "is not a date"),
        (GOOD.replace("2025-01-01", "'next year'"), "is not a date"),
        (GOOD.replace("{value: 0.04}", "{value: 0.04, note: x}"), "expected {value: ...}"),
        (GOOD.replace("2026-01-01", "2025-01-01"), "duplicate key"),
        ("description: d\nreference: r\nunit: /1\nvalues: {}\n", "values must map dates"),
        (
            "description: d\nreference: r\nunit: currency-CNY\n"
            "values: {2025-01-01: {value: 1.005}}\n",
            "at most two decimals",
        ),
        (
            "description: d\nreference: r\nunit: currency-CNY\nvalues: {2025-01-01: {value: -1}}\n",
            "cannot be negative",
        ),
        (
            "description: d\nreference: r\nunit: day\nvalues: {2025-01-01: {value: 1.5}}\n",
            "whole number of days",
        ),
        (
            "description: d\nreference: r\nunit: bool\nvalues: {2025-01-01: {value: 1}}\n",
            "true or false",
        ),
        (
            "description: d\nreference: r\nunit: division-code-prefixes\n"
            "values: {2025-01-01: {value: [11, '35']}}\n",
            "non-empty list",
        ),
        (
            "description: d\nreference: r\nunit: division-code-prefixes\n"
            "values: {2025-01-01: {value: ['1']}}\n",
            "non-empty list",
        ),
        (
            "description: d\nreference: r\nunit: category-list\n"
            "values: {2025-01-01: {value: [robot, robot]}}\n",
            "appears twice",
        ),
        (
            "description: d\nreference: r\nunit: keyword\n"
            "values: {2025-01-01: {value: Financing Cost}}\n",
            "expected a keyword",
        ),
        (
            "description: d\nreference: r\nunit: keyword\nvalues: {2025-01-01: {value: 5}}\n",
            "expected a keyword",
        ),
    ],
)
def test_bad_files_are_rejected_clearly(text: str, problem: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_parameter("some.parameter", text)
    assert problem in caught.value.detail
    assert caught.value.detail.startswith("some.parameter")
    assert caught.value.status == 422


def test_a_bad_file_in_the_folder_stops_the_load(tmp_path: Path) -> None:
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "rate.yaml").write_text(GOOD.replace("unit: /1\n", ""))
    with pytest.raises(ParameterError, match=r"policy\.rate: unit"):
        load_parameters(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="no parameter files"):
        load_parameters(tmp_path / "empty")


def test_overrides_merge_dated_values_and_mark_the_version() -> None:
    base = load_parameters()
    changed = base.with_overrides({"beijing_financing_lease.rate": {"2026-01-01": "0.04"}})
    assert changed.version.startswith(base.version + "+changed:")
    assert changed.decimal("beijing_financing_lease.rate", date(2025, 12, 31))[0] == Decimal("0.05")
    assert changed.decimal("beijing_financing_lease.rate", date(2026, 1, 1))[0] == Decimal("0.04")
    assert base.decimal("beijing_financing_lease.rate", date(2026, 1, 1))[0] == Decimal("0.05")
    assert base.with_overrides({}) is base
    with pytest.raises(ParameterError, match="no such parameter"):
        base.with_overrides({"nope.rate": {"2026-01-01": "0.04"}})
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        base.with_overrides({"beijing_financing_lease.rate": {"2026-01-01": "4"}})


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("110105", Region.BEIJING),
        ("119999", Region.BEIJING),
        ("130629", Region.XIONGAN),
        ("130632", Region.XIONGAN),
        ("130638", Region.XIONGAN),
        ("133100", Region.XIONGAN),
        ("130600", None),  # Baoding, outside the New Area
        ("350102", Region.FUJIAN),
        ("310115", None),
    ],
)
def test_regions_come_from_the_code_lists(code: str, region: Region | None) -> None:
    assert region_of(code, load_parameters(), date(2025, 6, 1))[0] is region
