"""The risk review without blind spots (#11): the balloon month counts in DSCR unless a
buy-back or residual guarantee covers it, LTV has a ceiling nothing mitigates, a residual
guarantee names its guarantor, outcomes are decided on exact values, and related parties
have their own concentration limit. Every number is worked out by hand in the comments."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.risk import (
    Mitigation,
    Outcome,
    RiskInputs,
    RiskLimits,
    assess,
)
from datapark_rental.leases.schedule import LeaseTerms, Schedule, build_schedule

D = Decimal
GUARANTOR = uuid.UUID("01890000-0000-7000-8000-0000000000aa")


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
    }
    base.update(overrides)
    return RiskInputs(**base)  # type: ignore[arg-type]


def named(name: str, sched: Schedule, risk: RiskInputs, limits: RiskLimits | None = None):
    return next(c for c in assess(sched, risk, limits).checks if c.name == name)


# ------------------------------------------------------------------------------ DSCR


def test_the_balloon_month_counts_in_dscr() -> None:
    # Balloon 200,000: installments 22,295.36, the last 22,295.21 (leasing.md's formula).
    # Month 36 owes 22,295.21 + 200,000 = 222,295.21: 40,000 / 222,295.21 = 0.17994…
    dscr = named("dscr", schedule(balloon=D("200000")), inputs())

    assert dscr.outcome is Outcome.FAILED
    assert dscr.value == D("0.1799")
    assert dscr.inputs["weakest_period"] == 36
    assert dscr.inputs["debt_service"] == D("222295.21")
    assert dscr.inputs["balloon"] == D("200000.00")
    assert dscr.inputs["balloon_covered_by"] is None
    # 1.25 × 222,295.21 = 277,869.0125; less 40,000 = 237,869.0125 → 237,869.02 (rounded up)
    assert dscr.shortfall == {"ratio": D("1.0701"), "monthly_cash_flow": D("237869.02")}


@pytest.mark.parametrize(
    ("mitigation", "cover"),
    [
        (Mitigation(vendor_buy_back=True), "vendor_buy_back"),
        (
            Mitigation(residual_guarantee=True, residual_guarantor_participant_id=GUARANTOR),
            "residual_guarantee",
        ),
    ],
)
def test_a_covered_balloon_leaves_the_installments_and_the_outcome_says_so(
    mitigation: Mitigation, cover: str
) -> None:
    dscr = named("dscr", schedule(balloon=D("200000")), inputs(mitigation=mitigation))

    # Without the balloon the largest installment is 22,295.36: 40,000 / 22,295.36 = 1.79409…
    assert dscr.outcome is Outcome.MITIGATED
    assert dscr.value == D("1.7941")
    assert dscr.inputs["balloon_covered_by"] == cover
    assert dscr.inputs["uncovered_value"] == D("0.1799")
    assert dscr.shortfall == {}


def test_a_cover_without_a_balloon_changes_nothing() -> None:
    dscr = named("dscr", schedule(), inputs(mitigation=Mitigation(vendor_buy_back=True)))

    assert dscr.outcome is Outcome.PASSED
    assert "balloon_covered_by" not in dscr.inputs


# ------------------------------------------------------------------------------ exact


def test_an_ltv_four_thousandths_of_a_percent_over_the_limit_is_refused() -> None:
    # Cost 1,000,050, 10 % down (100,005): financed 900,045; 0.80 × 1,125,000 = 900,000.
    # 900,045 / 1,125,000 = 0.80004 exactly: the old 4-place rounding (0.8000) let it pass.
    ltv = named(
        "ltv",
        schedule(equipment_cost=D("1000050")),
        inputs(appraised_value=D("1125000")),
    )

    assert ltv.outcome is Outcome.FAILED
    assert ltv.value == D("0.8001")  # rounded away from the limit, for display only
    assert ltv.shortfall == {"ratio": D("0.0001"), "amount": D("45.00")}


def test_concentration_a_fraction_over_is_refused_and_the_shortfall_is_exact() -> None:
    # 0.30 × 5,000,000 = 1,500,000; 600,200 + 900,000 = 1,500,200 → ratio 0.30004.
    lessee = named("lessee_concentration", schedule(), inputs(existing_lessee_exposure=D("600200")))

    assert lessee.outcome is Outcome.FAILED
    assert lessee.value == D("0.3001")
    assert lessee.shortfall == {"ratio": D("0.0001"), "amount": D("200.00")}


def test_a_shortfall_below_a_fen_is_still_a_fen() -> None:
    # 0.30 × 3,000,000.03 = 900,000.009: financed 900,000 + 0.01 existing = 900,000.01 over it
    # by 0.001 → refused, and the amount to shed rounds up to 0.01.
    lessee = named(
        "lessee_concentration",
        schedule(),
        inputs(existing_lessee_exposure=D("0.01"), lessor_net_assets=D("3000000.03")),
    )

    assert lessee.outcome is Outcome.FAILED
    assert lessee.shortfall["amount"] == D("0.01")


# ------------------------------------------------------------------------------ LTV ceiling


def test_above_the_ceiling_no_mitigation_helps() -> None:
    # 900,000 / 800,000 = 1.125 > 1.00: refused with a buy-back, a named guarantee and a deposit.
    everything = Mitigation(
        vendor_buy_back=True,
        residual_guarantee=True,
        residual_guarantor_participant_id=GUARANTOR,
        extra_deposit=D("300000"),
    )
    ltv = named("ltv", schedule(), inputs(appraised_value=D("800000"), mitigation=everything))

    assert ltv.outcome is Outcome.FAILED
    assert (ltv.threshold, ltv.inputs["limit"]) == (D("1.00"), "ceiling")
    assert ltv.value == D("1.1250")
    assert ltv.shortfall == {"ratio": D("0.1250"), "amount": D("100000.00")}
    assert ltv.as_record()["inputs"]["residual_guarantor_participant_id"] == str(GUARANTOR)


def test_the_ceiling_is_a_parameter() -> None:
    higher = RiskLimits(ltv_ceiling=D("1.20"))
    ltv = named(
        "ltv",
        schedule(),
        inputs(appraised_value=D("800000"), mitigation=Mitigation(vendor_buy_back=True)),
        higher,
    )

    assert ltv.outcome is Outcome.MITIGATED
    with pytest.raises(ValueError, match="ceiling"):
        RiskLimits(ltv_ceiling=D("0.70"))


def test_at_the_ceiling_mitigation_still_counts() -> None:
    # 900,000 / 900,000 = 1.00: not above the ceiling, above 0.80, mitigated by the buy-back.
    ltv = named(
        "ltv",
        schedule(),
        inputs(appraised_value=D("900000"), mitigation=Mitigation(vendor_buy_back=True)),
    )

    assert (ltv.outcome, ltv.value) == (Outcome.MITIGATED, D("1.0000"))


@pytest.mark.parametrize(
    "mitigation",
    [
        {"residual_guarantee": True},
        {"residual_guarantor_participant_id": GUARANTOR},
    ],
)
def test_a_residual_guarantee_names_its_guarantor(mitigation: dict[str, object]) -> None:
    with pytest.raises(Unprocessable) as caught:
        Mitigation(**mitigation)  # type: ignore[arg-type]

    assert caught.value.extra["errors"][0]["field"] == (
        "mitigation.residual_guarantor_participant_id"
    )


# ------------------------------------------------------------------------------ related parties


def test_related_parties_together_stay_within_thirty_percent() -> None:
    # 700,000 already lent to the lessor's related parties + 900,000 = 1,600,000;
    # 1,600,000 / 5,000,000 = 0.32 > 0.30, over by 1,600,000 − 1,500,000 = 100,000.
    result = assess(schedule(), inputs(existing_related_party_exposure=D("700000")))
    related = result.checks[-1]

    assert related.name == "related_party_concentration"
    assert (related.outcome, related.value) == (Outcome.FAILED, D("0.3200"))
    assert related.shortfall == {"ratio": D("0.0200"), "amount": D("100000.00")}
    assert [c["check"] for c in result.refusal()] == ["related_party_concentration"]


def test_an_unrelated_lessee_has_no_related_party_check() -> None:
    related = named("related_party_concentration", schedule(), inputs())

    assert related.outcome is Outcome.NOT_APPLICABLE
    assert related.inputs == {"related_party": False}
