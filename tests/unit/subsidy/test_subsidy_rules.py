"""The lease policies, the stacking rule, caps, clawback and Fujian applications."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_subsidy.applications import application_entitlement
from datapark_subsidy.deadlines import clawback, reservation_lapse
from datapark_subsidy.facts import Entitlement, Ineligible, LeaseFacts, Lessee, Payment, ReasonCode
from datapark_subsidy.policies import POLICIES, PolicyCode, load_parameters
from datapark_subsidy.rules import (
    assess_lease,
    beijing_financing_lease,
    period_cap,
    xiongan_robot_leasing,
)

PARAMS = load_parameters()
BEIJING = Lessee("P1", "110105")
XIONGAN = Lessee("X1", "130632")
LEASE = LeaseFacts(
    lease_id="L1",
    participant_id="P1",
    mode="financing_lease",
    equipment_category="industrial_arm",
    cost=Decimal("1000000.00"),
    down_payment=Decimal("100000.00"),
    activated_on=date(2025, 3, 1),
    payments=(Payment(date(2025, 4, 1), Decimal("27379.74")),),
)


def test_beijing_is_five_percent_of_the_financed_principal_with_its_explanation() -> None:
    result = beijing_financing_lease(LEASE, BEIJING, PARAMS)
    assert isinstance(result, Entitlement)
    assert result.amount == Decimal("45000.00")  # (1,000,000 - 100,000) x 0.05
    assert result.period == "2025"
    assert result.earned_on == date(2025, 3, 1)
    lines = result.explanation.lines()
    assert any(
        "financed principal = cost 1000000.00 - down payment 100000.00 = 900000.00" in line
        for line in lines
    )
    assert any(
        "beijing_financing_lease.rate = 0.05 (in force from 2025-01-01)" in line for line in lines
    )
    assert lines[-1] == f"policy files version {PARAMS.version}"
    assert {r.parameter for r in result.explanation.readings} >= {
        "regions.beijing",
        "beijing_financing_lease.rate",
        "beijing_financing_lease.qualifying_equipment_categories",
    }


def test_beijing_rounds_half_up_to_the_fen() -> None:
    # 0.50 x 0.05 = 0.025: half-up gives 0.03 where half-even would give 0.02
    lease = replace(LEASE, cost=Decimal("0.50"), down_payment=Decimal("0.00"))
    result = beijing_financing_lease(lease, BEIJING, PARAMS)
    assert isinstance(result, Entitlement)
    assert result.amount == Decimal("0.03")


@pytest.mark.parametrize(
    ("lease", "lessee", "reason"),
    [
        (LEASE, XIONGAN, ReasonCode.REGION_NOT_COVERED),
        (LEASE, replace(BEIJING, kind="person"), ReasonCode.NOT_A_COMPANY),
        (replace(LEASE, mode="service_lease"), BEIJING, ReasonCode.LEASE_MODE_NOT_COVERED),
        (replace(LEASE, equipment_category="forklift"), BEIJING, ReasonCode.EQUIPMENT_NOT_COVERED),
        (replace(LEASE, down_payment=LEASE.cost), BEIJING, ReasonCode.NOTHING_FINANCED),
        (
            replace(LEASE, cost=Decimal("0.09"), down_payment=Decimal(0)),
            BEIJING,
            ReasonCode.ROUNDS_TO_ZERO,
        ),
        (replace(LEASE, activated_on=date(2024, 12, 31)), BEIJING, ReasonCode.POLICY_NOT_IN_FORCE),
    ],
)
def test_beijing_refusals_say_why(lease: LeaseFacts, lessee: Lessee, reason: ReasonCode) -> None:
    result = beijing_financing_lease(lease, lessee, PARAMS)
    assert isinstance(result, Ineligible)
    assert result.reason is reason


def test_equipment_categories_are_a_parameter() -> None:
    lease = replace(LEASE, equipment_category="forklift")
    params = PARAMS.with_overrides(
        {
            "beijing_financing_lease.qualifying_equipment_categories": {
                "2025-01-01": ["industrial_arm", "forklift"]
            }
        }
    )
    result = beijing_financing_lease(lease, BEIJING, params)
    assert isinstance(result, Entitlement)
    assert result.amount == Decimal("45000.00")


def test_xiongan_splits_a_lease_straddling_31_december_by_due_date() -> None:
    lease = replace(
        LEASE,
        participant_id="X1",
        mode="long_term",
        payments=(
            Payment(date(2025, 12, 31), Decimal("10000.00")),
            Payment(date(2025, 11, 30), Decimal("10000.00")),
            Payment(date(2026, 1, 1), Decimal("10000.05")),
        ),
    )
    result = xiongan_robot_leasing(lease, XIONGAN, PARAMS)
    assert isinstance(result, tuple)
    assert [(e.period, e.amount, e.earned_on) for e in result] == [
        ("2025", Decimal("2000.00"), date(2025, 11, 30)),
        ("2026", Decimal("1000.01"), date(2026, 1, 1)),  # 1000.005 -> 1000.01 half-up
    ]
    assert "payments falling due in 2025: 2 totalling 20000.00" in "\n".join(
        result[0].explanation.lines()
    )


def test_xiongan_payments_outside_the_rate_earn_nothing() -> None:
    lease = replace(
        LEASE,
        mode="short_term",
        payments=(
            Payment(date(2024, 12, 1), Decimal("500.00")),
            Payment(date(2025, 1, 1), Decimal("500.00")),
        ),
    )
    result = xiongan_robot_leasing(lease, XIONGAN, PARAMS)
    assert isinstance(result, tuple)
    assert [(e.period, e.amount) for e in result] == [("2025", Decimal("50.00"))]
    only_early = replace(lease, payments=lease.payments[:1], activated_on=date(2024, 11, 1))
    refused = xiongan_robot_leasing(only_early, XIONGAN, PARAMS)
    assert isinstance(refused, Ineligible)
    assert refused.reason is ReasonCode.POLICY_NOT_IN_FORCE
    no_payments = xiongan_robot_leasing(replace(lease, payments=()), XIONGAN, PARAMS)
    assert isinstance(no_payments, Ineligible)
    assert no_payments.reason is ReasonCode.NO_PAYMENTS_DUE


def test_assess_lease_keeps_one_regional_subsidy_unless_a_policy_stacks() -> None:
    lease = replace(LEASE, participant_id="X1")
    plain = assess_lease(lease, XIONGAN, PARAMS)
    assert [e.policy for e in plain.entitlements] == [PolicyCode.XIONGAN_ROBOT_LEASING]
    assert (
        "the lease draws no other regional lease subsidy"
        in plain.entitlements[0].explanation.steps[-1]
    )

    # the lease already drew Beijing (e.g. under an earlier region): Xiong'an is refused
    drawn = assess_lease(lease, XIONGAN, PARAMS, already_drawn=[PolicyCode.BEIJING_FINANCING_LEASE])
    assert drawn.entitlements == ()
    assert any(i.reason is ReasonCode.LEASE_ALREADY_SUBSIDISED for i in drawn.ineligible)
    # ... and a replay of its own policy is not a stacking question
    again = assess_lease(lease, XIONGAN, PARAMS, already_drawn=[PolicyCode.XIONGAN_ROBOT_LEASING])
    assert [e.policy for e in again.entitlements] == [PolicyCode.XIONGAN_ROBOT_LEASING]

    stacking = PARAMS.with_overrides({"xiongan_robot_leasing.stacks": {"2025-01-01": True}})
    both = assess_lease(
        lease, XIONGAN, stacking, already_drawn=[PolicyCode.BEIJING_FINANCING_LEASE]
    )
    assert [e.policy for e in both.entitlements] == [PolicyCode.XIONGAN_ROBOT_LEASING]
    assert "may be drawn beside others" in both.entitlements[0].explanation.steps[-1]


def test_period_cap_is_the_value_on_1_january_or_the_first_that_year() -> None:
    policy = POLICIES[PolicyCode.BEIJING_FINANCING_LEASE]
    cap, reading = period_cap(policy, "2025", date(2025, 7, 1), PARAMS)
    assert cap == Decimal("10000000.00")
    assert reading.effective_from == date(2025, 1, 1)
    raised = PARAMS.with_overrides({"beijing_financing_lease.annual_cap": {"2026-07-01": 20000000}})
    assert period_cap(policy, "2026", date(2026, 8, 1), raised)[0] == Decimal("10000000.00")
    assert period_cap(policy, "2027", date(2027, 8, 1), raised)[0] == Decimal("20000000.00")
    with pytest.raises(Unprocessable, match="not in force in 2024"):
        period_cap(policy, "2024", date(2024, 1, 1), PARAMS)


@pytest.mark.parametrize(
    ("terminated_on", "applies"),
    [(date(2025, 3, 1), True), (date(2026, 2, 28), True), (date(2026, 3, 1), False)],
)
def test_clawback_period_is_half_open(terminated_on: date, applies: bool) -> None:
    decision = clawback(
        PolicyCode.BEIJING_FINANCING_LEASE, "L1", date(2025, 3, 1), terminated_on, PARAMS
    )
    assert decision.applies is applies
    assert "beijing_financing_lease.clawback_period_days = 365" in decision.steps[0]


def test_fujian_application_is_checked_against_the_maximum() -> None:
    applicant = Lessee("F1", "350102")
    granted = application_entitlement(
        PolicyCode.FUJIAN_DATA_PARK,
        applicant,
        "FJ-P-9",
        date(2025, 12, 1),
        Decimal("5000000.00"),
        PARAMS,
    )
    assert granted.period == "designation:FJ-P-9"
    assert granted.lease_id is None
    assert "fujian_data_park.max_per_designation = 5000000.00" in "\n".join(
        granted.explanation.lines()
    )
    for amount, code in [
        ("5000000.01", "above_maximum"),
        ("0", "unprocessable"),
        ("1.005", "unprocessable"),
    ]:
        with pytest.raises(Unprocessable) as caught:
            application_entitlement(
                PolicyCode.FUJIAN_DATA_PARK,
                applicant,
                "FJ-P-9",
                date(2025, 12, 1),
                Decimal(amount),
                PARAMS,
            )
        assert caught.value.code == code
    with pytest.raises(Unprocessable, match="only a company"):
        application_entitlement(
            PolicyCode.FUJIAN_DATA_PARK,
            replace(applicant, kind="person"),
            "FJ-P-9",
            date(2025, 12, 1),
            Decimal(1),
            PARAMS,
        )
    with pytest.raises(Unprocessable, match="not granted by application"):
        application_entitlement(
            PolicyCode.BEIJING_FINANCING_LEASE,
            applicant,
            "X",
            date(2025, 12, 1),
            Decimal(1),
            PARAMS,
        )


def test_reserved_funds_lapse_after_the_parameterised_days() -> None:
    lapses_on, step, reading = reservation_lapse(date(2025, 3, 1), PARAMS)
    assert lapses_on == date(2025, 8, 28)  # 180 days
    assert reading.parameter == "claims.reservation_lapse_days"
    assert "claims.reservation_lapse_days = 180 (in force from 2025-01-01)" in step
    shorter = PARAMS.with_overrides({"claims.reservation_lapse_days": {"2025-03-01": 30}})
    assert reservation_lapse(date(2025, 3, 1), shorter)[0] == date(2025, 3, 31)
    assert reservation_lapse(date(2025, 2, 28), shorter)[0] == date(2025, 8, 27)
