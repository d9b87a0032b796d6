"""Front-loaded risk control (风控前置): DSCR, LTV and concentration, each check recorded.

Every check keeps its inputs, threshold, computed value, outcome and shortfall, so that a
review can be replayed and a refusal says which check failed and by how much, as data:

- **dscr** — for every period, ``cash flow of the due month / (existing monthly debt service +
  the installment)``; the value is the weakest month (the declared monthly net operating cash
  flow, or the 12-month profile by calendar month when one is given). Passes at ≥ 1.25.
  Shortfall: ``1.25 − value`` and the extra monthly cash flow the weakest month would need.
- **ltv** — ``financed principal / appraised value``; passes at ≤ 80 %. Above it, a vendor
  buy-back or a residual-value guarantee mitigates; an extra deposit mitigates when
  ``(financed − extra deposit) / appraised`` is ≤ 80 %. Shortfall: the ratio excess and the
  financed amount above 80 % of the appraisal.
- **lessee_concentration** — ``(existing exposure to the lessee + financed) / lessor net
  assets`` ≤ 30 % (融资租赁公司监督管理暂行办法, 2020).
- **group_concentration** — same with the exposure to the lessee's whole group (it includes
  the lessee) ≤ 50 %; not applicable when the lessee belongs to no group.

Ratios are quantized to 4 decimal places half-up *before* the comparison, so the recorded
value is exactly the one that decided the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import Schedule
from datapark_rental.money import ZERO, require_money, to_fen

RATIO_QUANTUM = Decimal("0.0001")
DSCR_MINIMUM = Decimal("1.25")
LTV_MAXIMUM = Decimal("0.80")
LESSEE_CONCENTRATION_MAXIMUM = Decimal("0.30")
GROUP_CONCENTRATION_MAXIMUM = Decimal("0.50")


class Outcome(StrEnum):
    PASSED = "passed"
    MITIGATED = "mitigated"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Mitigation:
    """What a lessor accepts against a high LTV."""

    vendor_buy_back: bool = False
    residual_guarantee: bool = False
    extra_deposit: Decimal = ZERO

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "extra_deposit", require_money(self.extra_deposit, "mitigation.extra_deposit")
        )


@dataclass(frozen=True)
class RiskInputs:
    """What the applicant declares and what the lessor knows, besides the schedule."""

    monthly_net_operating_cash_flow: Decimal
    appraised_value: Decimal
    lessor_net_assets: Decimal
    existing_monthly_debt_service: Decimal = ZERO
    existing_lessee_exposure: Decimal = ZERO
    existing_group_exposure: Decimal | None = None
    cash_flow_profile: tuple[Decimal, ...] | None = None
    mitigation: Mitigation = field(default_factory=Mitigation)

    def __post_init__(self) -> None:
        for name, positive in (
            ("monthly_net_operating_cash_flow", False),
            ("appraised_value", True),
            ("lessor_net_assets", True),
            ("existing_monthly_debt_service", False),
            ("existing_lessee_exposure", False),
        ):
            object.__setattr__(
                self, name, require_money(getattr(self, name), name, positive=positive)
            )
        if self.existing_group_exposure is not None:
            group = require_money(self.existing_group_exposure, "existing_group_exposure")
            if group < self.existing_lessee_exposure:
                raise Unprocessable(
                    "existing_group_exposure includes the lessee's own exposure",
                    field="existing_group_exposure",
                )
            object.__setattr__(self, "existing_group_exposure", group)


@dataclass(frozen=True)
class Check:
    """One recorded check; ``shortfall`` is empty unless the check failed."""

    name: str
    outcome: Outcome
    threshold: Decimal
    comparison: str
    value: Decimal | None
    inputs: dict[str, Any]
    shortfall: dict[str, Decimal] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED

    def as_record(self) -> dict[str, Any]:
        """Machine-readable form (decimals as strings)."""
        return {
            "check": self.name,
            "outcome": self.outcome.value,
            "threshold": str(self.threshold),
            "comparison": self.comparison,
            "value": None if self.value is None else str(self.value),
            "inputs": _stringify(self.inputs),
            "shortfall": {k: str(v) for k, v in self.shortfall.items()},
        }


@dataclass(frozen=True)
class RiskAssessment:
    """All checks of one review; approved when none failed."""

    checks: tuple[Check, ...]

    @property
    def approved(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)

    def refusal(self) -> list[dict[str, Any]]:
        """The failed checks and by how much, as data for a problem response or an event."""
        return [c.as_record() for c in self.failures]


def assess(schedule: Schedule, inputs: RiskInputs) -> RiskAssessment:
    """Run every check on ``schedule`` for the applicant and lessor in ``inputs``."""
    financed = schedule.financed_principal
    return RiskAssessment(
        (
            debt_service_coverage(schedule, inputs),
            loan_to_value(financed, inputs),
            concentration(
                "lessee_concentration",
                financed,
                inputs.existing_lessee_exposure,
                inputs.lessor_net_assets,
                LESSEE_CONCENTRATION_MAXIMUM,
            ),
            concentration(
                "group_concentration",
                financed,
                inputs.existing_group_exposure,
                inputs.lessor_net_assets,
                GROUP_CONCENTRATION_MAXIMUM,
            ),
        )
    )


def debt_service_coverage(schedule: Schedule, inputs: RiskInputs) -> Check:
    """DSCR of the weakest month over the whole term."""
    profile = inputs.cash_flow_profile
    weakest: tuple[Decimal, int, Decimal, Decimal] | None = None
    for item in schedule.installments:
        cash_flow = (
            profile[item.due_date.month - 1]
            if profile is not None
            else inputs.monthly_net_operating_cash_flow
        )
        service = inputs.existing_monthly_debt_service + item.payment
        ratio = _ratio(cash_flow, service)
        if weakest is None or ratio < weakest[0]:
            weakest = (ratio, item.period, cash_flow, service)
    assert weakest is not None
    value, period, cash_flow, service = weakest
    check_inputs: dict[str, Any] = {
        "weakest_period": period,
        "cash_flow": cash_flow,
        "debt_service": service,
        "existing_monthly_debt_service": inputs.existing_monthly_debt_service,
        "cash_flow_source": "profile" if profile is not None else "declared_monthly",
    }
    if value >= DSCR_MINIMUM:
        return Check("dscr", Outcome.PASSED, DSCR_MINIMUM, ">=", value, check_inputs)
    return Check(
        "dscr",
        Outcome.FAILED,
        DSCR_MINIMUM,
        ">=",
        value,
        check_inputs,
        {
            "ratio": DSCR_MINIMUM - value,
            "monthly_cash_flow": to_fen(DSCR_MINIMUM * service - cash_flow),
        },
    )


def loan_to_value(financed: Decimal, inputs: RiskInputs) -> Check:
    appraised, mitigation = inputs.appraised_value, inputs.mitigation
    value = _ratio(financed, appraised)
    check_inputs: dict[str, Any] = {
        "financed_principal": financed,
        "appraised_value": appraised,
        "vendor_buy_back": mitigation.vendor_buy_back,
        "residual_guarantee": mitigation.residual_guarantee,
        "extra_deposit": mitigation.extra_deposit,
    }
    if value <= LTV_MAXIMUM:
        return Check("ltv", Outcome.PASSED, LTV_MAXIMUM, "<=", value, check_inputs)
    covered = _ratio(financed - mitigation.extra_deposit, appraised) <= LTV_MAXIMUM
    if (
        mitigation.vendor_buy_back
        or mitigation.residual_guarantee
        or (mitigation.extra_deposit > 0 and covered)
    ):
        return Check("ltv", Outcome.MITIGATED, LTV_MAXIMUM, "<=", value, check_inputs)
    return Check(
        "ltv",
        Outcome.FAILED,
        LTV_MAXIMUM,
        "<=",
        value,
        check_inputs,
        {
            "ratio": value - LTV_MAXIMUM,
            "amount": to_fen(financed - mitigation.extra_deposit - LTV_MAXIMUM * appraised),
        },
    )


def concentration(
    name: str, financed: Decimal, existing: Decimal | None, net_assets: Decimal, maximum: Decimal
) -> Check:
    """Exposure after this lease against a share of the lessor's net assets."""
    if existing is None:
        return Check(name, Outcome.NOT_APPLICABLE, maximum, "<=", None, {"group": None})
    exposure = existing + financed
    value = _ratio(exposure, net_assets)
    check_inputs: dict[str, Any] = {
        "existing_exposure": existing,
        "financed_principal": financed,
        "exposure": exposure,
        "lessor_net_assets": net_assets,
    }
    if value <= maximum:
        return Check(name, Outcome.PASSED, maximum, "<=", value, check_inputs)
    return Check(
        name,
        Outcome.FAILED,
        maximum,
        "<=",
        value,
        check_inputs,
        {
            "ratio": value - maximum,
            "amount": to_fen(exposure - maximum * net_assets),
        },
    )


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


def _stringify(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
