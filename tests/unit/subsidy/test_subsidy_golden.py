"""Golden cases in YAML (``golden/*.yaml``): each policy at its edges, replayed through the rules.

A case lists lessees (participant -> division code), recorded rental events and/or Fujian
applications, optional parameter ``changes`` (merged into the shipped files, as a simulation
would), and the claims, verdicts and budgets it expects, to the fen.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from datapark_kit.errors import Unprocessable
from datapark_subsidy.applications import application_entitlement
from datapark_subsidy.budget import Budget
from datapark_subsidy.facts import LeaseFacts, Lessee, Payment
from datapark_subsidy.lifecycle import ReviewDecision, ReviewVerdict, review
from datapark_subsidy.policies import POLICIES, PolicyCode, load_parameters
from datapark_subsidy.rules import period_cap
from datapark_subsidy.simulation import LeaseActivated, LeaseTerminated, RentalEvent, replay

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


def _events(raw: list[dict[str, Any]]) -> list[RentalEvent]:
    events: list[RentalEvent] = []
    for item in raw:
        if "activated" in item:
            a = item["activated"]
            events.append(
                LeaseActivated(
                    LeaseFacts(
                        lease_id=a["lease"],
                        participant_id=a["participant"],
                        mode=a["mode"],
                        equipment_category=a["category"],
                        cost=Decimal(a["cost"]),
                        down_payment=Decimal(a["down_payment"]),
                        activated_on=a["date"],
                        payments=tuple(Payment(d, Decimal(v)) for d, v in a.get("payments", [])),
                    )
                )
            )
        else:
            t = item["terminated"]
            events.append(LeaseTerminated(t["lease"], t["date"]))
    return events


def test_there_is_a_golden_case_for_each_policy() -> None:
    text = "".join(p.read_text() for p in CASES)
    for code in PolicyCode:
        assert code.value in text, code


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    params = load_parameters().with_overrides(case.get("changes") or {})
    if "events" in case:
        lessees = {p: Lessee(p, code) for p, code in case["lessees"].items()}
        result = replay(_events(case["events"]), lessees, params)
        _check_claims(case["expect"].get("claims", []), result.claims)
        expected_ineligible = {
            (i["lease"], i["policy"], i["reason"]) for i in case["expect"].get("ineligible", [])
        }
        if expected_ineligible:
            assert {
                (lease, v.policy.value, v.reason.value) for lease, v in result.ineligible
            } == expected_ineligible
        for b in case["expect"].get("budgets", []):
            budget = result.budgets[(PolicyCode(b["policy"]), b["participant"], b["period"])]
            assert budget.cap == Decimal(b["cap"])
            assert budget.committed == Decimal(b["committed"])
            assert budget.reserved == 0
            assert budget.committed <= budget.cap
    for application in case.get("applications", []):
        _check_application(application, params, budgets := case.setdefault("_budgets", {}))
        assert all(b.committed + b.reserved <= b.cap for b in budgets.values())


def _check_claims(expected: list[dict[str, Any]], claims: Any) -> None:
    assert len(claims) == len(expected), [(c.lease_id, c.period, c.granted) for c in claims]
    for want, got in zip(expected, claims, strict=True):
        assert got.lease_id == want["lease"]
        assert got.policy.value == want["policy"]
        assert got.period == want["period"]
        assert got.entitled == Decimal(want["entitled"])
        assert got.granted == Decimal(want["granted"])
        assert got.status.value == want["status"]
        if "reason" in want:
            assert got.reason is not None
            assert got.reason.value == want["reason"]
        lines = "\n".join(got.explanation.lines())
        if "outcome" in want:
            assert "partially approved" in lines
        if "explains" in want:
            assert want["explains"] in lines
        assert got.explanation.policy_version.startswith("sha256:")


def _check_application(
    app: dict[str, Any], params: Any, budgets: dict[tuple[str, str, str], Budget]
) -> None:
    policy = PolicyCode(app["policy"])
    applicant = Lessee(app["participant"], app["region"], app.get("operating_region"))
    want = app["expect"]
    on: date = app["date"]
    if "error" in want:
        with pytest.raises(Unprocessable) as caught:
            application_entitlement(
                policy, applicant, app["designation"], on, Decimal(app["amount"]), params
            )
        assert caught.value.code == want["error"]
        return
    entitlement = application_entitlement(
        policy, applicant, app["designation"], on, Decimal(app["amount"]), params
    )
    key = (policy.value, app["participant"], entitlement.period)
    if key not in budgets:
        budgets[key] = Budget(period_cap(POLICIES[policy], entitlement.period, on, params)[0])
    result = review(entitlement.amount, ReviewDecision(ReviewVerdict.APPROVE), budgets[key])
    budgets[key] = result.budget
    assert result.status.value == want["status"]
    assert result.granted == Decimal(want.get("granted", "0.00"))
    if "reason" in want:
        assert result.reason is not None
        assert result.reason.value == want["reason"]
