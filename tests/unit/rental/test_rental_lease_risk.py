"""Front-loaded risk review: each check recorded; a refusal says what failed and by how much."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.risk import Mitigation, Outcome, RiskInputs, assess
from datapark_rental.leases.schedule import Amortization, LeaseTerms, Schedule, build_schedule

D = Decimal
PROFILE = tuple(D(x) * 1000 for x in (50, 40, 60, 80, 100, 120, 150, 150, 120, 100, 80, 60))


def schedule(**overrides: object) -> Schedule:
    base: dict[str, object] = {
        "equipment_cost": D("1000000"),
        "down_payment_rate": D("0.10"),
        "term_months": 36,
        "annual_rate": D("0.06"),
        "start_date": date(2024, 1, 15),
    }
    base.update(overrides)
    return build_schedule(LeaseTerms(**base))  # type: ignore[arg-type]


def inputs(**overrides: object) -> RiskInputs:
    base: dict[str, object] = {
        "monthly_net_operating_cash_flow": D("40000"),
        "appraised_value": D("1200000"),
        "lessor_net_assets": D("5000000"),
        "existing_lessee_exposure": D("500000"),
        "existing_group_exposure": D("1000000"),
    }
    base.update(overrides)
    return RiskInputs(**base)  # type: ignore[arg-type]


def check(assessment_inputs: RiskInputs, name: str, sched: Schedule | None = None):
    result = assess(sched or schedule(), assessment_inputs)
    return next(c for c in result.checks if c.name == name)


def test_a_sound_application_passes_every_check_with_its_inputs_recorded() -> None:
    result = assess(schedule(), inputs())

    assert result.approved
    assert [(c.name, c.outcome, c.value) for c in result.checks] == [
        ("dscr", Outcome.PASSED, D("1.4609")),  # 40,000 / 27,379.90 (the last, largest)
        ("ltv", Outcome.PASSED, D("0.7500")),
        ("lessee_concentration", Outcome.PASSED, D("0.2800")),
        ("group_concentration", Outcome.PASSED, D("0.3800")),
        ("related_party_concentration", Outcome.NOT_APPLICABLE, None),
    ]
    assert result.checks[0].inputs["debt_service"] == D("27379.90")
    assert result.checks[0].inputs["weakest_period"] == 36
    assert result.refusal() == []


def test_weak_debt_service_coverage_is_refused_with_the_shortfall() -> None:
    result = assess(schedule(), inputs(monthly_net_operating_cash_flow=D("30000")))
    dscr = result.checks[0]

    assert not result.approved
    assert dscr.outcome is Outcome.FAILED
    # The weakest month is the last (27,379.90 > 27,379.74), found on exact ratios:
    # 30,000 / 27,379.90 = 1.09569…, shown rounded down (it failed); 1.25 × 27,379.90 − 30,000
    # = 4,224.875 → 4,224.88 rounded up to the fen.
    assert dscr.value == D("1.0956")
    assert dscr.shortfall == {"ratio": D("0.1544"), "monthly_cash_flow": D("4224.88")}
    assert result.refusal() == [
        {
            "check": "dscr",
            "outcome": "failed",
            "threshold": "1.25",
            "comparison": ">=",
            "value": "1.0956",
            "inputs": {
                "weakest_period": 36,
                "cash_flow": "30000.00",
                "debt_service": "27379.90",
                "existing_monthly_debt_service": "0.00",
                "cash_flow_source": "declared_monthly",
            },
            "shortfall": {"ratio": "0.1544", "monthly_cash_flow": "4224.88"},
        }
    ]


def test_existing_debt_counts_and_the_weakest_month_decides() -> None:
    dscr = check(
        inputs(existing_monthly_debt_service=D("5000")),
        "dscr",
        schedule(amortization=Amortization.EQUAL_PRINCIPAL),
    )

    assert dscr.inputs["weakest_period"] == 1  # equal principal: the first payment is largest
    assert dscr.inputs["debt_service"] == D("34500.00")
    assert dscr.value == D("1.1594")
    assert dscr.outcome is Outcome.FAILED


def test_a_seasonal_schedule_keeps_dscr_through_the_low_months() -> None:
    lean_profile = tuple(x * D("0.8") for x in PROFILE)  # 32,000 in February
    seasonal = RiskInputs(
        monthly_net_operating_cash_flow=D("74000"),
        appraised_value=D("1200000"),
        lessor_net_assets=D("5000000"),
        cash_flow_profile=lean_profile,
    )
    level = check(seasonal, "dscr")
    following = check(
        seasonal,
        "dscr",
        schedule(amortization=Amortization.SEASONAL, cash_flow_profile=PROFILE),
    )

    assert level.outcome is Outcome.FAILED  # February: 32,000 / 27,379.74
    assert level.value == D("1.1687")
    assert level.inputs["cash_flow"] == D("32000")
    assert following.outcome is Outcome.PASSED
    assert following.value == D("2.7019")  # every month within rounding of 32,000 / 11,843.38
    assert following.inputs["cash_flow_source"] == "profile"


def test_high_ltv_fails_unless_mitigated() -> None:
    appraised = {"appraised_value": D("1000000")}

    failed = check(inputs(**appraised), "ltv")
    buy_back = check(inputs(**appraised, mitigation=Mitigation(vendor_buy_back=True)), "ltv")
    guarantor = uuid.UUID("01890000-0000-7000-8000-000000000001")
    guarantee = check(
        inputs(
            **appraised,
            mitigation=Mitigation(
                residual_guarantee=True, residual_guarantor_participant_id=guarantor
            ),
        ),
        "ltv",
    )
    enough_deposit = check(
        inputs(**appraised, mitigation=Mitigation(extra_deposit=D("100000"))), "ltv"
    )
    short_deposit = check(
        inputs(**appraised, mitigation=Mitigation(extra_deposit=D("50000"))), "ltv"
    )

    assert (failed.outcome, failed.value) == (Outcome.FAILED, D("0.9000"))
    assert failed.shortfall == {"ratio": D("0.1000"), "amount": D("100000.00")}
    assert buy_back.outcome is Outcome.MITIGATED
    assert guarantee.outcome is Outcome.MITIGATED
    assert enough_deposit.outcome is Outcome.MITIGATED
    assert short_deposit.outcome is Outcome.FAILED
    assert short_deposit.shortfall["amount"] == D("50000.00")


def test_concentration_limits_for_the_lessee_and_its_group() -> None:
    result = assess(
        schedule(),
        inputs(existing_lessee_exposure=D("700000"), existing_group_exposure=D("2000000")),
    )
    lessee, group = result.checks[2], result.checks[3]

    assert (lessee.value, lessee.outcome) == (D("0.3200"), Outcome.FAILED)
    assert lessee.shortfall == {"ratio": D("0.0200"), "amount": D("100000.00")}
    assert (group.value, group.outcome) == (D("0.5800"), Outcome.FAILED)
    assert group.shortfall == {"ratio": D("0.0800"), "amount": D("400000.00")}
    assert [r["check"] for r in result.refusal()] == ["lessee_concentration", "group_concentration"]


def test_a_lessee_without_a_group_has_no_group_check() -> None:
    group = check(inputs(existing_group_exposure=None), "group_concentration")

    assert group.outcome is Outcome.NOT_APPLICABLE
    assert not group.failed


def test_at_the_threshold_a_check_passes() -> None:
    ltv = check(inputs(appraised_value=D("1125000")), "ltv")  # 900,000 / 1,125,000 = 0.80

    assert (ltv.value, ltv.outcome) == (D("0.8000"), Outcome.PASSED)


def test_group_exposure_below_the_lessee_exposure_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        inputs(existing_group_exposure=D("100"))

    assert caught.value.extra["errors"][0]["field"] == "existing_group_exposure"
