"""Valuations and balance-sheet records over HTTP, with the worked examples of the unit tests
(checked by hand there) going through the API and the database."""

from __future__ import annotations

from typing import Any

import pytest
from integration.catalog.test_catalog_products import cny, participant, registered_product

pytestmark = pytest.mark.integration


async def test_three_approaches_and_the_book_position(catalog: Any, token: Any) -> None:
    owner_id = await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = await registered_product(catalog, token, owner)
    url = f"/v1/data-products/{pid}/valuations"

    cost = await catalog.post(
        url,
        headers=owner,
        json={
            "method": "cost",
            "base_date": "2024-06-30",
            "appraiser_name": "Zhonghe Appraisal",
            "cost_lines": [
                {"label": "collection", "amount": cny("120000.00")},
                {"label": "cleaning", "amount": cny("35500.50")},
                {"label": "storage", "amount": cny("4499.50")},
            ],
            "obsolescence_rate": "0.10",
        },
    )
    assert cost.status_code == 201, cost.text
    # 160,000.00 × 0.90
    assert cost.json()["amount"] == cny("144000.00")
    assert cost.json()["inputs"]["cost_lines"][1] == {
        "label": "cleaning",
        "amount": cny("35500.50"),
    }

    income = await catalog.post(
        url,
        headers=owner,
        json={
            "method": "income",
            "base_date": "2024-12-31",
            "appraiser_name": "Zhonghe Appraisal",
            "projected_income": [cny("100000"), cny("120000"), cny("150000")],
            "discount_rate": "0.10",
        },
    )
    # 90,909.0909 + 99,173.5537 + 112,697.2201 = 302,779.8647
    assert income.json()["amount"] == cny("302779.86")

    market = await catalog.post(
        url,
        headers=owner,
        json={
            "method": "market",
            "base_date": "2025-03-31",
            "appraiser_name": "Zhonghe Appraisal",
            "comparables": [
                {
                    "reference": "SZDE-2025-0113",
                    "price": cny("200000"),
                    "adjustments": [
                        {"name": "quality", "factor": "1.10"},
                        {"name": "timeliness", "factor": "0.95"},
                    ],
                },
                {
                    "reference": "BJIDE-2025-0871",
                    "price": cny("180000"),
                    "adjustments": [{"name": "volume", "factor": "1.20"}],
                },
                {
                    "reference": "GSDE-2025-0042",
                    "price": cny("250000"),
                    "adjustments": [
                        {"name": "rights", "factor": "0.90"},
                        {"name": "coverage", "factor": "0.90"},
                    ],
                },
            ],
        },
    )
    # (209,000 + 216,000 + 202,500) / 3
    assert market.json()["amount"] == cny("209166.67")

    history = (await catalog.get(url, headers=owner)).json()["items"]
    assert [v["method"] for v in history] == ["cost", "income", "market"]
    assert [v["impairment_test"] for v in history] == [None] * 3  # nothing booked yet
    first = (await catalog.get(url, params={"limit": 2}, headers=owner)).json()
    assert [v["method"] for v in first["items"]] == ["cost", "income"]
    rest = (
        await catalog.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=owner)
    ).json()
    assert ([v["method"] for v in rest["items"]], rest["next_cursor"]) == (["market"], None)
    stranger = await catalog.get(url, params={"cursor": "bm90LW91cnM"}, headers=owner)
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["field"] == "cursor"

    lines = [
        {
            "kind": "acquisition",
            "description": "raw telemetry",
            "amount": cny("500000.00"),
            "incurred_on": "2023-11-01",
        },
        {
            "kind": "rights_verification",
            "description": "权属鉴证",
            "amount": cny("20000.00"),
            "incurred_on": "2023-12-01",
        },
        {
            "kind": "quality_assessment",
            "description": "质量评估",
            "amount": cny("15000.00"),
            "incurred_on": "2023-12-05",
        },
        {
            "kind": "registration_fee",
            "description": "登记",
            "amount": cny("3000.00"),
            "incurred_on": "2023-12-20",
        },
        {
            "kind": "settlement_fee",
            "description": "结算",
            "amount": cny("2000.00"),
            "incurred_on": "2023-12-28",
        },
        {
            "kind": "research",
            "description": "expensed",
            "amount": cny("80000.00"),
            "incurred_on": "2023-09-01",
        },
    ]
    booked = await catalog.put(
        f"/v1/data-products/{pid}/balance-sheet",
        headers=owner,
        json={
            "classification": "intangible_asset",
            "cost_lines": lines,
            "recognised_on": "2024-01-01",
            "useful_life_months": 60,
        },
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["capitalised_cost"] == cny("540000.00")
    # The cost-approach valuation of 30 June 2024 (144,000.00) is an impairment test: by then
    # 6 of 60 months are amortised (54,000.00), carrying 486,000.00, written down by
    # 342,000.00; 144,000 is then spread over the remaining 54 months: July–December
    # 144,000 × 6 / 54 = 16,000.00. As of 2025-01-01 accumulated 70,000.00, book value
    # 540,000 − 70,000 − 342,000 = 128,000.00. The income valuation of 31 December
    # (302,779.86) is the latest; an intangible asset's write-down is not reversed.
    position = (
        await catalog.get(
            f"/v1/data-products/{pid}/balance-sheet", params={"as_of": "2025-01-01"}, headers=owner
        )
    ).json()
    assert position["accumulated_amortisation"] == cny("70000.00")
    assert position["write_down"] == cny("342000.00")
    assert position["book_value"] == cny("128000.00")
    assert position["latest_valuation"] == cny("302779.86")
    assert position["valuation_surplus"] == cny("174779.86")
    assert position["expensed_cost"] == cny("80000.00")
    assert position["presentation"] == "intangible_asset"
    assert position["presentation_label"] == "无形资产"
    # Booked now, the valuations are tests of it: the cost one wrote it down; the income one
    # (302,779.86 against 128,000.00) and the market one of 31 March 2025 (209,166.67 against
    # 144,000 − 144,000 × 9 / 54 = 120,000.00) passed.
    tested = (await catalog.get(url, headers=owner)).json()["items"]
    assert [v["impairment_test"]["write_down"]["amount"] for v in tested] == [
        "342000.00",
        "0.00",
        "0.00",
    ]
    assert tested[2]["impairment_test"]["carrying_amount_before"] == cny("120000.00")
    [impairment] = position["impairments"]
    assert impairment == {
        "on": "2024-06-30",
        "write_down": cny("342000.00"),
        "carrying_amount_before": cny("486000.00"),
        "recoverable_amount": cny("144000.00"),
        "evidence_valuation_id": cost.json()["id"],
        "evidence_method": "cost",
        "evidence_appraiser_name": "Zhonghe Appraisal",
    }


async def test_valuation_rules_over_http(catalog: Any, token: Any) -> None:
    owner_id, other_id = await participant(catalog, token), await participant(catalog, token)
    owner = token("participant", participant_id=owner_id)
    pid = await registered_product(catalog, token, owner)
    url = f"/v1/data-products/{pid}/valuations"
    base: dict[str, Any] = {"base_date": "2025-01-01", "appraiser_name": "x"}

    for body, field in (
        ({"method": "cost"}, "cost_lines"),
        (
            {"method": "cost", "cost_lines": [{"label": "a", "amount": cny("1.005")}]},
            "cost_lines.0.amount.amount",
        ),
        ({"method": "income", "projected_income": [cny("1")]}, "discount_rate"),
        (
            {"method": "income", "projected_income": ["1"], "discount_rate": "0.1"},
            "projected_income.0",
        ),
        ({"method": "market", "comparables": []}, "comparables"),
    ):
        bad = await catalog.post(url, headers=owner, json=base | body)
        assert bad.status_code == 422, bad.text
        assert [e["field"] for e in bad.json()["errors"]] == [field]

    other = token("participant", participant_id=other_id)
    cost = base | {"method": "cost", "cost_lines": [{"label": "a", "amount": cny("1")}]}
    assert (await catalog.post(url, headers=other, json=cost)).status_code == 404
    assert (await catalog.get(url, headers=other)).status_code == 404

    draft = (
        await catalog.post(
            "/v1/data-products",
            headers=owner,
            json={
                "title": "t",
                "description": "d",
                "keywords": ["k"],
                "domain": "healthcare",
                "product_form": "report",
                "classification": "general",
                "provenance": "generated",
                "update_frequency": "once",
                "format": "pdf",
                "license": "l",
                "contact": "c",
            },
        )
    ).json()
    early = await catalog.post(
        f"/v1/data-products/{draft['id']}/valuations", headers=owner, json=cost
    )
    assert early.status_code == 409
    assert early.json()["state"] == "draft"
