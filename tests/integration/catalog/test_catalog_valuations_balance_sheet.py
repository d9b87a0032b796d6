"""入表 by 财会〔2023〕11号 through catalog's HTTP API and Postgres: cost lines capitalised or
expensed by acquisition mode, amortisation from the month ready for use, impairment on a
recorded valuation, the company's disclosure table, and refusals that change nothing. The
figures are the hand-checked ones of tests/unit/catalog/test_catalog_valuations_mof.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from integration.catalog.test_catalog_products import participant, registered_product

pytestmark = pytest.mark.integration


def line(kind: str, amount: str, on: str, phase: str | None = None) -> dict[str, Any]:
    money = {"amount": amount, "currency": "CNY"}
    body = {"kind": kind, "description": kind, "amount": money, "incurred_on": on}
    return body | ({"phase": phase} if phase else {})


BOUGHT: dict[str, Any] = {
    "classification": "intangible_asset",
    "acquisition_mode": "purchased",
    "recognised_on": "2024-03-10",
    "ready_for_use_on": "2024-04-30",
    "useful_life_months": 48,
    "cost_lines": [
        line("rights_verification", "10000.00", "2024-03-05"),
        line("acquisition", "300000.00", "2024-03-10"),
        line("related_taxes", "18000.00", "2024-03-10"),
        line("desensitisation", "12000.00", "2024-03-20"),
        line("cleaning", "25000.00", "2024-04-02"),
        line("labelling", "30000.00", "2024-04-15"),
        line("integration", "8000.00", "2024-04-20"),
        line("analysis", "5000.00", "2024-04-25"),
        line("visualisation", "2000.00", "2024-04-28"),
        line("security_management", "6000.00", "2024-04-30"),
        line("marketing", "15000.00", "2024-03-01"),
    ],
}
DEVELOPED: dict[str, Any] = {
    "classification": "intangible_asset",
    "acquisition_mode": "self_developed",
    "recognised_on": "2024-06-01",
    "ready_for_use_on": "2024-10-15",
    "useful_life_months": 36,
    "cost_lines": [
        line("collection", "40000.00", "2024-02-01", "research"),
        line("research", "60000.00", "2024-03-01"),
        line("development", "20000.00", "2024-05-15", "development"),
        line("collection", "90000.00", "2024-06-10", "development"),
        line("cleaning", "30000.00", "2024-07-01", "development"),
        line("labelling", "45000.00", "2024-08-01", "development"),
        line("development", "75000.00", "2024-09-01", "development"),
        line("quality_assessment", "8000.00", "2024-10-10", "development"),
        line("registration_fee", "2000.00", "2024-10-15", "development"),
    ],
}
PROCESSED: dict[str, Any] = {
    "classification": "inventory",
    "acquisition_mode": "processed",
    "recognised_on": "2024-01-31",
    "cost_lines": [
        line("acquisition", "50000.00", "2024-01-05"),
        line("collection", "20000.00", "2024-01-10"),
        line("cleaning", "10000.00", "2024-01-20"),
        line("insurance", "5000.00", "2024-01-31"),
    ],
}


def plain(body: Any) -> Any:
    """A response with each Money object (``{amount, currency: CNY}``) read as its amount."""
    if isinstance(body, dict):
        if set(body) == {"amount", "currency"} and body["currency"] == "CNY":
            return body["amount"]
        return {k: plain(v) for k, v in body.items()}
    if isinstance(body, list):
        return [plain(v) for v in body]
    return body


async def position(catalog: Any, pid: str, headers: dict[str, str], as_of: str) -> Any:
    got = await catalog.get(
        f"/v1/data-products/{pid}/balance-sheet", params={"as_of": as_of}, headers=headers
    )
    assert got.status_code == 200, got.text
    return plain(got.json())


async def test_self_developed_research_expensed_and_development_amortised_when_ready(
    catalog: Any, token: Any
) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = await registered_product(catalog, token, owner)
    booked = await catalog.put(
        f"/v1/data-products/{pid}/balance-sheet", headers=owner, json=DEVELOPED
    )
    assert booked.status_code == 200, booked.text
    body = plain(booked.json())
    assert booked.json()["capitalised_cost"] == {"amount": "250000.00", "currency": "CNY"}
    # Research 40,000 + 60,000 expensed, development before 1 June 20,000 expensed; the
    # response says so line by line.
    assert (body["capitalised_cost"], body["expensed_cost"], body["expensed_research_cost"]) == (
        "250000.00",
        "120000.00",
        "100000.00",
    )
    treatments = [(x["kind"], x["phase"], x["treatment"]) for x in body["cost_lines"]]
    assert treatments[:3] == [
        ("collection", "research", "expensed"),
        ("research", None, "expensed"),
        ("development", "development", "expensed"),
    ]
    assert "research-phase spend is expensed" in body["cost_lines"][0]["basis"]
    assert "before the capitalisation criteria" in body["cost_lines"][2]["basis"]
    assert {x["treatment"] for x in body["cost_lines"][3:]} == {"capitalised"}

    during = await position(catalog, pid, owner, "2024-09-30")
    assert (during["presentation"], during["presentation_label"]) == (
        "development_expenditure",
        "开发支出",
    )
    assert (during["capitalised_cost"], during["book_value"]) == ("240000.00", "240000.00")
    # October–March, 6 months: 250,000 × 6 / 36 = 41,666.67.
    later = await position(catalog, pid, owner, "2025-03-31")
    assert later["presentation"] == "intangible_asset"
    assert (later["amortisation_months"], later["accumulated_amortisation"]) == (6, "41666.67")
    assert later["book_value"] == "208333.33"


async def test_disclosure_by_presentation_for_the_company_and_its_auditors(
    catalog: Any, token: Any
) -> None:
    owner_id, other_id = await participant(catalog, token), await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    products = []
    for record in (BOUGHT, DEVELOPED, PROCESSED):
        pid = await registered_product(catalog, token, owner)
        put = await catalog.put(
            f"/v1/data-products/{pid}/balance-sheet", headers=owner, json=record
        )
        assert put.status_code == 200, put.text
        products.append(pid)
    # A valuation of the purchased asset below its carrying amount: by 31 July 2024, April–July
    # = 4 months, 416,000 × 4 / 48 = 34,666.67, carrying 381,333.33; valued 300,000.00 →
    # write-down 81,333.33. August–September: 300,000 × 2 / 44 = 13,636.36; accumulated
    # 48,303.03; book 300,000 − 13,636.36 = 286,363.64.
    valuation = await catalog.post(
        f"/v1/data-products/{products[0]}/valuations",
        headers=owner,
        json={
            "method": "market",
            "base_date": "2024-07-31",
            "appraiser_name": "Zhonghe Appraisal",
            "comparables": [
                {
                    "reference": "SZDE-2024-0731",
                    "price": {"amount": "300000.00", "currency": "CNY"},
                }
            ],
        },
    )
    assert valuation.status_code == 201, valuation.text
    assert plain(valuation.json()["impairment_test"]) == {
        "on": "2024-07-31",
        "write_down": "81333.33",
        "carrying_amount_before": "381333.33",
        "recoverable_amount": "300000.00",
    }
    history = await catalog.get(f"/v1/data-products/{products[0]}/valuations", headers=owner)
    items = plain(history.json()["items"])
    assert [v["impairment_test"]["write_down"] for v in items] == ["81333.33"]
    bought = await position(catalog, products[0], owner, "2024-09-30")
    assert bought["impairments"][0]["write_down"] == "81333.33"
    assert bought["impairments"][0]["evidence_valuation_id"] == valuation.json()["id"]
    assert (bought["accumulated_amortisation"], bought["book_value"]) == (
        "48303.03",
        "286363.64",
    )

    url = f"/v1/participants/{owner_id}/balance-sheet-disclosure"
    got = await catalog.get(url, params={"as_of": "2024-09-30"}, headers=owner)
    assert got.status_code == 200, got.text
    d = plain(got.json())
    assert got.json()["expensed_cost"] == {"amount": "135000.00", "currency": "CNY"}
    assert [(g["presentation"], g["presentation_label"]) for g in d["groups"]] == [
        ("inventory", "存货"),
        ("intangible_asset", "无形资产"),
        ("development_expenditure", "开发支出"),
    ]
    stock, intangible, development = d["groups"]
    assert (stock["capitalised_cost"], stock["book_value"]) == ("85000.00", "85000.00")
    assert [(m["acquisition_mode"], m["book_value"]) for m in stock["by_acquisition_mode"]] == [
        ("purchased", "0.00"),
        ("processed", "85000.00"),
    ]
    assert (
        intangible["capitalised_cost"],
        intangible["accumulated_amortisation"],
        intangible["write_down"],
        intangible["book_value"],
    ) == ("416000.00", "48303.03", "81333.33", "286363.64")
    assert [i["product_id"] for i in intangible["items"]] == [products[0]]
    assert (development["book_value"], [i["product_id"] for i in development["items"]]) == (
        "240000.00",
        [products[1]],
    )
    # Expensed by 30 September: marketing 15,000 + research 100,000 + early development 20,000.
    assert (d["expensed_cost"], d["expensed_research_cost"]) == ("135000.00", "100000.00")

    # The period May–September 2024: opening on 30 April — inventory 85,000.00; the bought
    # asset after April's charge (416,000 / 48 = 8,666.67) 407,333.33; nothing in development
    # yet (recognised 1 June). Expensed within the period: only the development spend of
    # 15 May before the criteria were met, 20,000.00; the research spend fell before it.
    period = await catalog.get(
        url, params={"as_of": "2024-09-30", "period_start": "2024-05-01"}, headers=owner
    )
    assert period.status_code == 200, period.text
    p = plain(period.json())
    assert p["period_start"] == "2024-05-01"
    assert [g["opening"]["book_value"] for g in p["groups"]] == [
        "85000.00",
        "407333.33",
        "0.00",
    ]
    assert p["groups"][1]["opening"]["accumulated_amortisation"] == "8666.67"
    assert [g["book_value"] for g in p["groups"]] == ["85000.00", "286363.64", "240000.00"]
    assert (p["expensed_cost_in_period"], p["expensed_research_cost_in_period"]) == (
        "20000.00",
        "0.00",
    )
    assert d["groups"][0]["opening"] is None
    assert d["expensed_cost_in_period"] is None
    reversed_period = await catalog.get(
        url, params={"as_of": "2024-09-30", "period_start": "2024-10-01"}, headers=owner
    )
    assert reversed_period.status_code == 422
    assert [e["field"] for e in reversed_period.json()["errors"]] == ["period_start"]

    # Before any record was recognised the table is empty but keeps its three lines.
    empty = plain((await catalog.get(url, params={"as_of": "2023-12-31"}, headers=owner)).json())
    assert [g["book_value"] for g in empty["groups"]] == ["0.00", "0.00", "0.00"]

    # Tenant-scoped: another company gets 404; operators and auditors read it.
    other = token("participant", participant_id=other_id)
    assert (await catalog.get(url, headers=other)).status_code == 404
    for role in ("operator", "auditor"):
        seen = await catalog.get(url, params={"as_of": "2024-09-30"}, headers=token(role))
        assert seen.status_code == 200, seen.text
        assert seen.json()["groups"][1]["book_value"]["amount"] == "286363.64"
    unknown = f"/v1/participants/{uuid.uuid4()}/balance-sheet-disclosure"
    assert (await catalog.get(unknown, headers=token("auditor"))).status_code == 404
    assert (await catalog.get(url)).status_code == 401


async def test_refusals_name_the_field_and_change_nothing(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = await registered_product(catalog, token, owner)
    url = f"/v1/data-products/{pid}/balance-sheet"
    assert (await catalog.put(url, headers=owner, json=BOUGHT)).status_code == 200
    before = await position(catalog, pid, owner, "2024-12-31")
    assert before["book_value"] == "338000.00"  # 416,000 − 416,000 × 9 / 48

    bad_lines = BOUGHT["cost_lines"]
    cases: list[tuple[dict[str, Any], str]] = [
        (BOUGHT | {"acquisition_mode": "processed"}, "acquisition_mode"),
        (BOUGHT | {"acquisition_mode": "gifted"}, "acquisition_mode"),
        (BOUGHT | {"ready_for_use_on": "2024-03-01"}, "ready_for_use_on"),
        (PROCESSED | {"ready_for_use_on": "2024-01-31"}, "ready_for_use_on"),
        (BOUGHT | {"useful_life_months": 1201}, "useful_life_months"),
        (
            BOUGHT | {"cost_lines": [*bad_lines, line("cleaning", "1.00", "2024-05-02")]},
            "cost_lines[11].incurred_on",
        ),
        (
            BOUGHT | {"cost_lines": [*bad_lines, line("insurance", "1.00", "2024-04-01")]},
            "cost_lines[11].kind",
        ),
        (
            BOUGHT | {"cost_lines": [line("acquisition", "1.00", "2024-03-10", "development")]},
            "cost_lines[0].phase",
        ),
        (
            DEVELOPED | {"cost_lines": [line("development", "1.00", "2024-07-01")]},
            "cost_lines[0].phase",
        ),
        (
            DEVELOPED | {"cost_lines": [line("cleaning", "1.00", "2024-07-01", "design")]},
            "cost_lines.0.phase",
        ),
        (
            DEVELOPED | {"cost_lines": [line("research", "1.00", "2024-07-01")]},
            "cost_lines",
        ),
        (
            PROCESSED | {"acquisition_mode": "purchased"},
            "cost_lines[1].kind",  # collection makes it processed inventory
        ),
    ]
    for body, field in cases:
        refused = await catalog.put(url, headers=owner, json=body)
        assert refused.status_code == 422, (field, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.text
    early = await catalog.get(url, params={"as_of": "2024-03-09"}, headers=owner)
    assert early.status_code == 422
    assert [e["field"] for e in early.json()["errors"]] == ["as_of"]

    after = await position(catalog, pid, owner, "2024-12-31")
    assert after == before
