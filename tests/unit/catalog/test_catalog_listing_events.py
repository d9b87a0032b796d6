"""The payloads of catalog.listings.v1: registered, keyed by aggregate, and each one
round-trips through its JSON form and matches its exported schema's shape."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from datapark_contracts.events import catalog_listings as c
from datapark_contracts.payloads import EventPayload, payload_model
from datapark_contracts.topics import CATALOG_LISTINGS

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
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
    schema = model.model_json_schema()
    assert set(schema["required"]) <= set(data)
    assert schema["additionalProperties"] is False


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
