"""Golden cases in YAML (``golden/*.yaml``): each policy at its edges, replayed through the rules.

A case lists lessees (participant -> division code), recorded rental events (activations with
their receivables, payments, ends) and/or Fujian designations and applications, optional
parameter ``changes`` (merged into the shipped files, as a simulation would), and the claims,
verdicts and budgets it expects, to the fen. Events replay in date order (stable: on one day,
in the order written).

Receivables of an activation: ``payments: [[due, amount], ...]`` (instalments without
interest), ``schedule: [[due, amount, interest, opening balance], ...]`` (instalments of a
financing lease), ``balloon: [due, amount]``. ``paid: {lease, through}`` pays every receivable
of a lease due by ``through`` on its due date; ``paid: {lease, kind, period, date}`` pays one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from datapark_kit.errors import Unprocessable
from datapark_subsidy.budgets.balance import Budget
from datapark_subsidy.claims.eligibility import period_cap
from datapark_subsidy.claims.entitlement import application_entitlement
from datapark_subsidy.claims.states import ReviewDecision, ReviewVerdict, review
from datapark_subsidy.simulations.replay import (
    LeaseActivated,
    LeaseEnded,
    ReceivablePaid,
    RentalEvent,
    replay,
)
from datapark_subsidy.terms.assessment import Designation, LeaseFacts, Lessee, Receivable
from datapark_subsidy.terms.parameters import load_parameters
from datapark_subsidy.terms.policies import POLICIES, PolicyCode

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


def _receivables(a: dict[str, Any]) -> tuple[Receivable, ...]:
    found = [
        Receivable("installment", i, d, Decimal(v))
        for i, (d, v) in enumerate(a.get("payments", []), start=1)
    ]
    found += [
        Receivable("installment", i, d, Decimal(v), Decimal(interest), Decimal(0), Decimal(b))
        for i, (d, v, interest, b) in enumerate(a.get("schedule", []), start=1)
    ]
    if "balloon" in a:
        due, amount = a["balloon"]
        found.append(Receivable("balloon", len(found), due, Decimal(amount)))
    return tuple(found)


def _events(raw: list[dict[str, Any]]) -> list[RentalEvent]:
    events: list[RentalEvent] = []
    leases: dict[str, LeaseFacts] = {}
    for item in raw:
        if "activated" in item:
            a = item["activated"]
            lease = LeaseFacts(
                lease_id=a["lease"],
                participant_id=a["participant"],
                mode=a["mode"],
                equipment_category=a["category"],
                cost=Decimal(a["cost"]),
                down_payment=Decimal(a["down_payment"]),
                activated_on=a["date"],
                receivables=_receivables(a),
            )
            leases[lease.lease_id] = lease
            events.append(LeaseActivated(lease))
        elif "paid" in item:
            p = item["paid"]
            if "through" in p:
                events.extend(
                    ReceivablePaid(p["lease"], r.kind, r.period, r.due_on)
                    for r in leases[p["lease"]].receivables
                    if r.due_on <= p["through"]
                )
            else:
                events.append(ReceivablePaid(p["lease"], p["kind"], p["period"], p["date"]))
        elif "ended" in item:
            e = item["ended"]
            events.append(LeaseEnded(e["lease"], e["date"], e["reason"]))
        else:
            t = item["terminated"]
            events.append(LeaseEnded(t["lease"], t["date"], "terminated"))
    return sorted(events, key=lambda e: e.on)


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
        result = replay(_events(case["events"]), lessees, params, case.get("as_of"))
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
    designations = {
        key: Designation(key, d["kind"], d["name"], d["region"], d["date"])
        for key, d in (case.get("designations") or {}).items()
    }
    budgets: dict[str, Budget] = {}
    for application in case.get("applications", []):
        _check_application(application, params, designations, budgets)
        assert all(b.committed + b.reserved <= b.cap for b in budgets.values())
    for period, want in (case.get("expect") or {}).get("designation_budgets", {}).items():
        assert budgets[period].reserved == Decimal(want["reserved"])
        assert budgets[period].cap == Decimal(want["cap"])


def _check_claims(expected: list[dict[str, Any]], claims: Any) -> None:
    assert len(claims) == len(expected), [(c.lease_id, c.period, c.granted) for c in claims]
    for want, got in zip(expected, claims, strict=True):
        assert got.lease_id == want["lease"]
        assert got.policy.value == want["policy"]
        assert got.period == want["period"]
        assert got.entitled == Decimal(want["entitled"])
        assert got.granted == Decimal(want["granted"])
        assert got.status.value == want["status"]
        if "earned_on" in want:
            assert got.earned_on == want["earned_on"]
        if "basis" in want:
            assert got.basis == want["basis"]
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
    app: dict[str, Any],
    params: Any,
    designations: dict[str, Designation],
    budgets: dict[str, Budget],
) -> None:
    """One application reviewed as approved against its designation's budget, which every
    applicant under the designation shares."""
    policy = PolicyCode(app["policy"])
    applicant = Lessee(app["participant"], app["region"], app.get("operating_region"))
    designation = designations[app["designation"]]
    want = app["expect"]
    on: date = app["date"]
    if "error" in want:
        with pytest.raises(Unprocessable) as caught:
            application_entitlement(
                policy, applicant, designation, on, Decimal(app["amount"]), params
            )
        assert caught.value.code == want["error"]
        return
    entitlement = application_entitlement(
        policy, applicant, designation, on, Decimal(app["amount"]), params
    )
    key = entitlement.period
    assert key == f"designation:{designation.designation_id}"
    if key not in budgets:
        cap = period_cap(POLICIES[policy], key, designation.designated_on, params)[0]
        budgets[key] = Budget(cap)
    result = review(entitlement.amount, ReviewDecision(ReviewVerdict.APPROVE), budgets[key])
    budgets[key] = result.budget
    assert result.status.value == want["status"]
    assert result.granted == Decimal(want.get("granted", "0.00"))
    if "reason" in want:
        assert result.reason is not None
        assert result.reason.value == want["reason"]
