"""The lease policies, the stacking rule, caps, clawback and Fujian applications."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_subsidy.claims.deadlines import clawback, reservation_lapse
from datapark_subsidy.claims.eligibility import (
    assess_lease,
    beijing_financing_lease,
    period_cap,
    xiongan_robot_leasing,
)
from datapark_subsidy.claims.entitlement import application_entitlement
from datapark_subsidy.terms.assessment import (
    Designation,
    Entitlement,
    Ineligible,
    LeaseFacts,
    Lessee,
    ReasonCode,
    Receivable,
)
from datapark_subsidy.terms.parameters import ParameterSet, load_parameters
from datapark_subsidy.terms.policies import POLICIES, PolicyCode

PARAMS = load_parameters()
PRINCIPAL_READING = PARAMS.with_overrides(
    {"beijing_financing_lease.basis": {"2025-01-01": "financed_principal"}}
)
BEIJING = Lessee("P1", "110105")
XIONGAN = Lessee("X1", "130632")
# leasing.md test vector 1: 900,000 financed at 6 % over 36 months, A = 27,379.74; period 1
# interest 4,500.00 (opening 900,000.00), period 2 interest 4,385.60 (opening 877,120.26)
VECTOR_1 = (
    Receivable(
        "installment",
        1,
        date(2025, 4, 1),
        Decimal("27379.74"),
        Decimal("4500.00"),
        Decimal("0.00"),
        Decimal("900000.00"),
        paid_on=date(2025, 4, 1),
    ),
    Receivable(
        "installment",
        2,
        date(2025, 5, 1),
        Decimal("27379.74"),
        Decimal("4385.60"),
        Decimal("0.00"),
        Decimal("877120.26"),
        paid_on=date(2025, 5, 3),
    ),
    Receivable(
        "installment",
        3,
        date(2025, 6, 1),
        Decimal("27379.74"),
        Decimal("4270.04"),
        Decimal("0.00"),
        Decimal("854011.27"),
    ),
)
LEASE = LeaseFacts(
    lease_id="L1",
    participant_id="P1",
    mode="financing_lease",
    equipment_category="industrial_arm",
    cost=Decimal("1000000.00"),
    down_payment=Decimal("100000.00"),
    activated_on=date(2025, 3, 1),
    receivables=VECTOR_1,
)


def _only(result: object) -> Entitlement:
    assert isinstance(result, tuple), result
    assert len(result) == 1
    entitlement = result[0]
    assert isinstance(entitlement, Entitlement)
    return entitlement


def test_beijing_rate_support_on_leasing_test_vector_1_paid_instalments_only() -> None:
    result = _only(beijing_financing_lease(LEASE, BEIJING, PARAMS))
    # period 1: min(4,500.00, 900,000.00 x 0.05 / 12 = 3,750.00) = 3,750.00 (5/6 of 6 %)
    # period 2: min(4,385.60, 877,120.26 x 0.05 / 12 = 3,654.66775 -> 3,654.67) = 3,654.67
    # period 3 fell due but is not paid: it earns nothing yet
    assert result.amount == Decimal("7404.67")
    assert result.period == "2025"
    assert result.earned_on == date(2026, 1, 1)  # the year's end: reviewable from then
    lines = "\n".join(result.explanation.lines())
    assert (
        "installment 1 due 2025-04-01, paid 2025-04-01: min(interest 4500.00 + fees 0.00 = "
        "4500.00, opening balance 900000.00 x 0.05 / 12 = 3750.00) = 3750.00" in lines
    )
    assert "beijing_financing_lease.basis = financing_cost (in force from 2025-01-01)" in lines
    assert "the 2025 entitlement is earned on 2026-01-01" in lines
    assert {r.parameter for r in result.explanation.readings} >= {
        "regions.beijing",
        "beijing_financing_lease.rate",
        "beijing_financing_lease.basis",
        "beijing_financing_lease.qualifying_equipment_categories",
    }


def test_beijing_fees_count_as_financing_cost_up_to_the_ceiling() -> None:
    first = replace(VECTOR_1[0], interest=Decimal("3000.00"), fees=Decimal("500.00"))
    under = replace(LEASE, receivables=(first,))
    assert _only(beijing_financing_lease(under, BEIJING, PARAMS)).amount == Decimal("3500.00")
    over = replace(under, receivables=(replace(first, fees=Decimal("900.00")),))
    assert _only(beijing_financing_lease(over, BEIJING, PARAMS)).amount == Decimal("3750.00")


def test_beijing_earns_nothing_after_the_lease_ended_and_is_earned_on_its_end() -> None:
    paid_all = tuple(replace(r, paid_on=r.due_on) for r in VECTOR_1)
    ended = replace(
        LEASE, receivables=paid_all, ended_on=date(2025, 5, 20), end_reason="bought_out"
    )
    result = _only(beijing_financing_lease(ended, BEIJING, PARAMS))
    assert result.amount == Decimal("7404.67")  # period 3 fell due after the buyout
    assert result.earned_on == date(2025, 5, 20)
    assert "the lease ended (bought_out) on 2025-05-20" in "\n".join(result.explanation.lines())


def test_the_financed_principal_reading_stays_selectable_as_data() -> None:
    result = _only(beijing_financing_lease(LEASE, BEIJING, PRINCIPAL_READING))
    assert result.amount == Decimal("45000.00")  # (1,000,000 - 100,000) x 0.05
    assert result.earned_on == date(2026, 1, 1)
    assert any(
        "financed principal = cost 1000000.00 - down payment 100000.00 = 900000.00" in line
        for line in result.explanation.lines()
    )
    # 0.50 x 0.05 = 0.025: half-up gives 0.03 where half-even would give 0.02
    tiny = replace(LEASE, cost=Decimal("0.50"), down_payment=Decimal("0.00"))
    assert _only(beijing_financing_lease(tiny, BEIJING, PRINCIPAL_READING)).amount == Decimal(
        "0.03"
    )


@pytest.mark.parametrize(
    ("lease", "lessee", "params", "reason"),
    [
        (LEASE, XIONGAN, PARAMS, ReasonCode.REGION_NOT_COVERED),
        (LEASE, replace(BEIJING, kind="person"), PARAMS, ReasonCode.NOT_A_COMPANY),
        (replace(LEASE, mode="service_lease"), BEIJING, PARAMS, ReasonCode.LEASE_MODE_NOT_COVERED),
        (
            replace(LEASE, equipment_category="forklift"),
            BEIJING,
            PARAMS,
            ReasonCode.EQUIPMENT_NOT_COVERED,
        ),
        (
            replace(LEASE, receivables=tuple(replace(r, paid_on=None) for r in VECTOR_1)),
            BEIJING,
            PARAMS,
            ReasonCode.NOTHING_EARNED,
        ),
        (
            replace(
                LEASE,
                receivables=tuple(replace(r, interest=Decimal("0.00")) for r in VECTOR_1),
            ),
            BEIJING,
            PARAMS,
            ReasonCode.NOTHING_EARNED,
        ),  # a 0 % lease
        (
            replace(LEASE, down_payment=LEASE.cost),
            BEIJING,
            PRINCIPAL_READING,
            ReasonCode.NOTHING_FINANCED,
        ),
        (
            replace(LEASE, cost=Decimal("0.09"), down_payment=Decimal(0)),
            BEIJING,
            PRINCIPAL_READING,
            ReasonCode.ROUNDS_TO_ZERO,
        ),
        (
            replace(
                LEASE,
                activated_on=date(2024, 10, 31),
                receivables=tuple(replace(r, due_on=date(2024, 11, r.period)) for r in VECTOR_1),
            ),
            BEIJING,
            PARAMS,
            ReasonCode.POLICY_NOT_IN_FORCE,
        ),
    ],
)
def test_beijing_refusals_say_why(
    lease: LeaseFacts, lessee: Lessee, params: ParameterSet, reason: ReasonCode
) -> None:
    result = beijing_financing_lease(lease, lessee, params)
    assert isinstance(result, Ineligible)
    assert result.reason is reason


def test_a_lease_active_before_the_policy_earns_what_falls_due_once_it_applies() -> None:
    early = replace(LEASE, activated_on=date(2024, 12, 31))
    result = _only(beijing_financing_lease(early, BEIJING, PARAMS))
    assert result.amount == Decimal("7404.67")
    assert "became active on 2024-12-31; the policy applies to it from 2025-04-01" in "\n".join(
        result.explanation.lines()
    )


def test_an_unknown_reading_in_the_basis_file_is_refused_by_name() -> None:
    odd = PARAMS.with_overrides({"beijing_financing_lease.basis": {"2025-01-01": "turnover"}})
    with pytest.raises(Unprocessable) as caught:
        beijing_financing_lease(LEASE, BEIJING, odd)
    assert caught.value.code == "invalid_parameter"
    assert "financing_cost, financed_principal" in caught.value.detail


def test_equipment_categories_are_a_parameter() -> None:
    lease = replace(LEASE, equipment_category="forklift")
    params = PARAMS.with_overrides(
        {
            "beijing_financing_lease.qualifying_equipment_categories": {
                "2025-01-01": ["industrial_arm", "forklift"]
            }
        }
    )
    assert _only(beijing_financing_lease(lease, BEIJING, params)).amount == Decimal("7404.67")


def _paid(due: date, amount: str, kind: str = "installment", period: int = 1) -> Receivable:
    return Receivable(kind, period, due, Decimal(amount), paid_on=due)


def test_xiongan_splits_a_lease_straddling_31_december_by_due_date() -> None:
    lease = replace(
        LEASE,
        participant_id="X1",
        mode="long_term",
        receivables=(
            _paid(date(2025, 12, 31), "10000.00", period=2),
            _paid(date(2025, 11, 30), "10000.00", period=1),
            _paid(date(2026, 1, 1), "10000.05", period=3),
            Receivable("installment", 4, date(2026, 1, 31), Decimal("10000.00")),  # unpaid
        ),
    )
    result = xiongan_robot_leasing(lease, XIONGAN, PARAMS)
    assert isinstance(result, tuple)
    assert [(e.period, e.amount, e.earned_on) for e in result] == [
        ("2025", Decimal("2000.00"), date(2026, 1, 1)),
        ("2026", Decimal("1000.01"), date(2027, 1, 1)),  # 1000.005 -> 1000.01 half-up
    ]
    assert (
        "lease payments (installment) that fell due in 2025 and were paid: 2 totalling 20000.00"
        in "\n".join(result[0].explanation.lines())
    )


def test_xiongan_counts_the_balloon_but_only_the_listed_payments() -> None:
    lease = replace(
        LEASE,
        participant_id="X1",
        receivables=(
            _paid(date(2027, 12, 1), "10000.00", period=36),
            _paid(date(2027, 12, 1), "50000.00", kind="balloon", period=36),
        ),
    )
    assert _only(xiongan_robot_leasing(lease, XIONGAN, PARAMS)).amount == Decimal("6000.00")
    without = PARAMS.with_overrides(
        {"xiongan_robot_leasing.counted_payments": {"2025-01-01": ["installment"]}}
    )
    assert _only(xiongan_robot_leasing(lease, XIONGAN, without)).amount == Decimal("1000.00")


def test_xiongan_payments_outside_the_rate_earn_nothing() -> None:
    lease = replace(
        LEASE,
        mode="short_term",
        receivables=(
            _paid(date(2024, 12, 1), "500.00", period=1),
            _paid(date(2025, 1, 1), "500.00", period=2),
        ),
    )
    result = xiongan_robot_leasing(lease, XIONGAN, PARAMS)
    assert isinstance(result, tuple)
    assert [(e.period, e.amount) for e in result] == [("2025", Decimal("50.00"))]
    only_early = replace(lease, receivables=lease.receivables[:1], activated_on=date(2024, 11, 1))
    refused = xiongan_robot_leasing(only_early, XIONGAN, PARAMS)
    assert isinstance(refused, Ineligible)
    assert refused.reason is ReasonCode.POLICY_NOT_IN_FORCE
    no_payments = xiongan_robot_leasing(replace(lease, receivables=()), XIONGAN, PARAMS)
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


def test_only_a_termination_claws_back_by_default_and_that_is_a_parameter() -> None:
    policy = PolicyCode.XIONGAN_ROBOT_LEASING
    bought_out = clawback(policy, "L1", date(2025, 3, 1), date(2025, 6, 1), PARAMS, "bought_out")
    assert bought_out.applies is False
    assert "only terminated claws back" in bought_out.steps[0]
    strict = PARAMS.with_overrides(
        {"xiongan_robot_leasing.clawback_ends": {"2025-01-01": ["terminated", "bought_out"]}}
    )
    assert clawback(policy, "L1", date(2025, 3, 1), date(2025, 6, 1), strict, "bought_out").applies


PARK = Designation("D-9", "park", "Gulou Data Element Park", "350102", date(2025, 11, 1))


def test_fujian_application_is_checked_against_its_designation() -> None:
    applicant = Lessee("F1", "350102")
    granted = application_entitlement(
        PolicyCode.FUJIAN_DATA_PARK,
        applicant,
        PARK,
        date(2025, 12, 1),
        Decimal("5000000.00"),
        PARAMS,
    )
    assert granted.period == "designation:D-9"
    assert granted.lease_id is None
    lines = "\n".join(granted.explanation.lines())
    assert "fujian_data_park.max_per_designation = 5000000.00" in lines
    assert "every applicant under the designation shares it" in lines
    for policy, designation, on, amount, code in [
        (PolicyCode.FUJIAN_DATA_PARK, PARK, date(2025, 12, 1), "5000000.01", "above_maximum"),
        (PolicyCode.FUJIAN_DATA_PARK, PARK, date(2025, 12, 1), "0", "unprocessable"),
        (PolicyCode.FUJIAN_DATA_PARK, PARK, date(2025, 12, 1), "1.005", "unprocessable"),
        (PolicyCode.FUJIAN_DATA_CLUSTER, PARK, date(2025, 12, 1), "1", "designation_kind_mismatch"),
        (PolicyCode.FUJIAN_DATA_PARK, PARK, date(2025, 10, 31), "1", "not_designated"),
    ]:
        with pytest.raises(Unprocessable) as caught:
            application_entitlement(policy, applicant, designation, on, Decimal(amount), PARAMS)
        assert caught.value.code == code
    with pytest.raises(Unprocessable, match="only a company"):
        application_entitlement(
            PolicyCode.FUJIAN_DATA_PARK,
            replace(applicant, kind="person"),
            PARK,
            date(2025, 12, 1),
            Decimal(1),
            PARAMS,
        )
    with pytest.raises(Unprocessable, match="not granted by application"):
        application_entitlement(
            PolicyCode.BEIJING_FINANCING_LEASE,
            applicant,
            PARK,
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
