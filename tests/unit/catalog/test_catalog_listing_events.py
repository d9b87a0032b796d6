"""The payloads of catalog.listings.v1: registered, keyed by aggregate, and each one
round-trips through its JSON form and matches its exported schema's shape."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from datapark_contracts.events import catalog_listings as c
from datapark_contracts.payloads import EventPayload, payload_model
from datapark_contracts.topics import CATALOG_LISTINGS

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
SCHEMAS = Path(__file__).resolve().parents[3] / "libs" / "contracts" / "schemas"


def exported_schema(event_type: str) -> dict[str, Any]:
    """The committed JSON Schema of an event type (what consumers are promised)."""
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{event_type}.json").read_text())
    return schema


def schema_errors(
    value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, path: str = "$"
) -> list[str]:
    """Validate JSON ``value`` against the subset of JSON Schema that pydantic exports ($ref,
    type, properties, required, additionalProperties, enum, const, pattern, items, minItems,
    minimum, exclusiveMinimum, anyOf, oneOf, format date/date-time/uuid). No validator library
    is a dependency of the project, and this subset is all our schemas use."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return schema_errors(value, root["$defs"][name], root, path)
    if "anyOf" in schema:
        if any(not schema_errors(value, s, root, path) for s in schema["anyOf"]):
            return []
        return [f"{path}: matches none of anyOf"]
    if "oneOf" in schema:
        matches = sum(not schema_errors(value, s, root, path) for s in schema["oneOf"])
        return [] if matches == 1 else [f"{path}: matches {matches} of oneOf"]
    errors: list[str] = []
    kind = schema.get("type")
    checks: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "object": dict,
        "array": list,
        "null": type(None),
    }
    numeric_bool = kind in ("integer", "number") and isinstance(value, bool)
    if kind is not None and (not isinstance(value, checks[kind]) or numeric_bool):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in enum")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    fmt = schema.get("format")
    try:
        if fmt == "date-time":
            assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
        elif fmt == "date":
            date.fromisoformat(value)
        elif fmt == "uuid":
            UUID(value)
    except (AssertionError, ValueError):
        errors.append(f"{path}: {value!r} is not a {fmt}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: below minimum")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(f"{path}: not above exclusiveMinimum")
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than minItems")
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), root, f"{path}[{i}]")
    if kind == "object":
        props = schema.get("properties", {})
        errors += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                errors += schema_errors(item, props[key], root, f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unexpected {key}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, root, f"{path}.{key}")
    return errors


MONEY = {"amount": "12.50", "currency": "CNY"}


def product_fields() -> dict[str, Any]:
    return {
        "product_id": uuid4(),
        "owner_participant_id": uuid4(),
        "title": "Port container dwell times",
        "description": "Hourly dwell times per terminal.",
        "keywords": ("logistics",),
        "domain": "transportation",
        "product_form": "api_service",
        "classification": "general",
        "personal_information": False,
        "legal_basis": None,
        "provenance": "collected",
        "update_frequency": "hourly",
        "format": "json",
        "license": "datapark-standard-1.0",
        "state": "listed",
        "certificate": {
            "number": "DPR-20260601-000001",
            "owner_participant_id": uuid4(),
            "content_hash": "a" * 64,
            "issued_at": NOW,
        },
        "listings": (
            {
                "listing_id": uuid4(),
                "venue_code": "SZDE",
                "venue_name": "深圳数据交易所",
                "venue_fee_rate": "0.025",
                "reference": "SZDE-20260601-000001",
                "state": "listed",
                "price_terms": {
                    "kind": "metered",
                    "unit": "call",
                    "unit_price": {"amount": "0.05"},
                    "monthly_maximum": MONEY,
                },
                "listed_at": NOW,
            },
        ),
        "occurred_at": NOW,
    }


REVIEW = {
    "reviewer_id": uuid4(),
    "decision": "approved",
    "reasons": (),
    "document_hashes": ("b" * 64,),
    "reviewed_at": NOW,
}


def unit_fields() -> dict[str, Any]:
    return {
        "unit_id": uuid4(),
        "model_id": uuid4(),
        "category": "inspection_drone",
        "maker": "DJI",
        "model_name": "Matrice 350",
        "serial_number": "M350-0001",
        "lessor_participant_id": uuid4(),
        "acquisition_cost": MONEY,
        "acquired_on": date(2025, 1, 1),
        "salvage_value": {"amount": "0.00"},
        "useful_life_months": 36,
        "appraised_value": MONEY,
        "appraised_on": date(2026, 6, 1),
        "location": "Hall 3",
        "status": "available",
        "occurred_at": NOW,
    }


def offering_fields() -> dict[str, Any]:
    unit = uuid4()
    return {
        "offering_id": uuid4(),
        "lessor_participant_id": uuid4(),
        "title": "Inspection drone by the day",
        "target_kind": "unit",
        "unit_id": unit,
        "kit_id": None,
        "unit_ids": (unit,),
        "category": "inspection_drone",
        "modes": ("short_term",),
        "rate_card": {"day": MONEY},
        "deposit": MONEY,
        "min_duration_minutes": 60,
        "turnaround_before_minutes": 30,
        "turnaround_after_minutes": 30,
        "cancellation_policy": ({"notice_minutes": 1440, "fee_rate": "0.1"},),
        "available_from": NOW,
        "location": "Hall 3",
        "state": "published",
        "occurred_at": NOW,
    }


def sample(model: type[EventPayload]) -> EventPayload:
    extra: dict[str, Any] = {}
    fields = model.model_fields
    if "product_id" in fields:
        base = product_fields()
    elif "offering_id" in fields:
        base = offering_fields()
    elif "window_id" in fields:
        base = {
            "window_id": uuid4(),
            "unit_id": uuid4(),
            "start": NOW,
            "end": NOW.replace(hour=12),
            "reason": "annual service",
            "occurred_at": NOW,
        }
    elif "unit_id" in fields:
        base = unit_fields()
    elif "kit_id" in fields:
        base = {
            "kit_id": uuid4(),
            "lessor_participant_id": uuid4(),
            "name": "Welding line",
            "description": "",
            "unit_ids": (uuid4(), uuid4()),
            "occurred_at": NOW,
        }
    else:
        base = {
            "model_id": uuid4(),
            "maker": "ABB",
            "name": "IRB 1200",
            "category": "industrial_arm",
            "specs": {"payload_kg": 7, "reach_m": 0.9, "axes": 6},
            "occurred_at": NOW,
        }
    for name in ("venue_code",):
        if name in fields:
            extra[name] = "SZDE"
    for name in ("reason",):
        if name in fields and name not in base:
            extra[name] = "owner's request"
    if "review" in fields:
        extra["review"] = REVIEW
    if "reviewer_id" in fields:
        extra["reviewer_id"] = uuid4()
    if "changed_fields" in fields:
        extra["changed_fields"] = ("location",)
    return model.model_validate(base | extra)


EVENTS = c.catalog_listing_events()


def test_every_fact_of_the_issue_has_a_type() -> None:
    expected = {
        f"datapark.catalog.data_product.{f}.v1"
        for f in [
            "drafted",
            "revised",
            "submitted",
            "review_started",
            "registered",
            "rejected",
            "listed",
            "listing_terms_changed",
            "listing_suspended",
            "listing_resumed",
            "listing_delisted",
            "suspended",
            "reinstated",
            "delisted",
            "retired",
        ]
    } | {
        "datapark.catalog.robot_model.registered.v1",
        "datapark.catalog.robot_model.changed.v1",
        "datapark.catalog.robot_unit.registered.v1",
        "datapark.catalog.robot_unit.changed.v1",
        "datapark.catalog.robot_unit.maintenance_scheduled.v1",
        "datapark.catalog.robot_unit.maintenance_cancelled.v1",
        "datapark.catalog.robot_kit.registered.v1",
        "datapark.catalog.robot_kit.changed.v1",
        "datapark.catalog.rental_offering.published.v1",
        "datapark.catalog.rental_offering.changed.v1",
        "datapark.catalog.rental_offering.withdrawn.v1",
    }
    assert set(EVENTS) == expected


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_each_event_round_trips_and_is_keyed_by_its_aggregate(event_type: str) -> None:
    model = payload_model(event_type)
    assert model.topic == CATALOG_LISTINGS
    assert event_type.split(".")[2] == model.aggregate
    payload = sample(model)
    data = payload.to_data()
    assert payload_model(event_type).model_validate(data) == payload
    assert payload.aggregate_id() in {str(v) for v in data.values() if not isinstance(v, dict)}
    schema = exported_schema(event_type)
    assert schema_errors(data, schema) == []
    assert schema["additionalProperties"] is False


def test_the_validator_catches_what_the_schema_forbids() -> None:
    data = sample(c.DataProductListed).to_data()
    schema = exported_schema(c.DataProductListed.event_type)
    bad_money = json.loads(json.dumps(data))
    bad_money["listings"][0]["price_terms"]["unit_price"]["amount"] = "0.5"
    assert schema_errors(bad_money, schema)
    extra = data | {"secret": 1}
    assert any("unexpected secret" in e for e in schema_errors(extra, schema))
    missing = {k: v for k, v in data.items() if k != "product_id"}
    assert any("missing product_id" in e for e in schema_errors(missing, schema))
    wrong_kind = json.loads(json.dumps(data))
    wrong_kind["listings"][0]["price_terms"]["kind"] = "barter"
    assert schema_errors(wrong_kind, schema)


def test_money_is_a_two_place_string_on_the_wire() -> None:
    data = sample(c.DataProductListed).to_data()
    terms = data["listings"][0]["price_terms"]
    assert terms["unit_price"] == {"amount": "0.05", "currency": "CNY"}
    pattern = re.compile(c.Money.model_json_schema()["properties"]["amount"]["pattern"])
    assert pattern.match(terms["monthly_maximum"]["amount"])


@pytest.mark.parametrize("amount", ["-1.00", "NaN", "1.005", "Infinity"])
def test_bad_money_is_refused_by_the_contract(amount: str) -> None:
    with pytest.raises(ValidationError):
        c.Money(amount=Decimal(amount))


def test_an_empty_rate_card_is_refused_by_the_contract() -> None:
    fields = offering_fields() | {"rate_card": {}}
    with pytest.raises(ValidationError, match="at least one rate"):
        c.RentalOfferingPublished.model_validate(fields)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        c.RobotKitRegistered.model_validate(
            {
                "kit_id": uuid4(),
                "lessor_participant_id": uuid4(),
                "name": "x",
                "description": "",
                "unit_ids": (uuid4(),),
                "occurred_at": NOW,
                "secret": 1,
            }
        )
