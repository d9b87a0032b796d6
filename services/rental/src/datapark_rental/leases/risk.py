"""Front-loaded risk control (风控前置): DSCR, LTV and concentration, each check recorded.

Every check keeps its inputs, threshold, computed value, outcome and shortfall, so that a
review can be replayed and a refusal says which check failed and by how much, as data:

- **dscr** — for every period, ``cash flow of the due month / (existing monthly debt service +
  the installment)``, the balloon added to the last period's debt service (it is due with the
  last installment) unless a vendor buy-back or a residual-value guarantee covers it — then
  ``balloon_covered_by`` says which, and the check is ``mitigated`` when the balloon month would
  have failed without the cover. The value is the weakest month (the declared monthly net
  operating cash flow, or the 12-month profile by calendar month when one is given). Passes
  at ≥ 1.25. Shortfall: ``1.25 − value`` and the extra monthly cash flow the weakest month
  would need.
- **ltv** — ``financed principal / appraised value``; passes at ≤ 80 %. Above it, a vendor
  buy-back or a residual-value guarantee (naming its guarantor) mitigates; an extra deposit
  mitigates when ``(financed − extra deposit) / appraised`` is ≤ 80 %. Above the ceiling
  (100 % unless configured) nothing mitigates: the check fails against the ceiling.
  Shortfall: the ratio excess and the financed amount above the limit.
- **lessee_concentration** — ``(existing exposure to the lessee + financed) / lessor net
  assets`` ≤ 30 % (融资租赁公司监督管理暂行办法, 2020).
- **group_concentration** — same with the exposure to the lessee's whole group (it includes
  the lessee) ≤ 50 %; not applicable when the lessee belongs to no group.
- **related_party_concentration** — when the lessee is a related party of the lessor (same
  group), the exposure to all the lessor's related parties together ≤ 30 %; not applicable
  otherwise.

Outcomes are decided on exact values: ``cash flow ≥ 1.25 × debt service`` and ``exposure ≤
limit × base`` in decimal arithmetic, never on a rounded ratio, so a ratio 0.004 % over a
limit fails. Ratios are rounded to 4 places for display only — away from the limit when the
check fails (a failed ``<=`` check rounds up, a failed ``>=`` check down), so a shown value
never contradicts its outcome. Amount shortfalls round up to the fen: adding (or removing)
exactly that amount meets the limit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum
from typing import Any

from datapark_kit.errors import Unprocessable
from datapark_rental.leases.schedule import Schedule
from datapark_rental.terms.money import FEN, ZERO, require_money

RATIO_QUANTUM = Decimal("0.0001")
DSCR_MINIMUM = Decimal("1.25")
LTV_MAXIMUM = Decimal("0.80")
LTV_CEILING = Decimal("1.00")
LESSEE_CONCENTRATION_MAXIMUM = Decimal("0.30")
GROUP_CONCENTRATION_MAXIMUM = Decimal("0.50")
RELATED_PARTY_CONCENTRATION_MAXIMUM = Decimal("0.30")


class Outcome(StrEnum):
    PASSED = "passed"
    MITIGATED = "mitigated"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class RiskLimits:
    """The thresholds of the review (parameters, not code)."""

    dscr_minimum: Decimal = DSCR_MINIMUM
    ltv_maximum: Decimal = LTV_MAXIMUM
    ltv_ceiling: Decimal = LTV_CEILING
    lessee_concentration: Decimal = LESSEE_CONCENTRATION_MAXIMUM
    group_concentration: Decimal = GROUP_CONCENTRATION_MAXIMUM
    related_party_concentration: Decimal = RELATED_PARTY_CONCENTRATION_MAXIMUM

    def __post_init__(self) -> None:
        if not self.ltv_maximum <= self.ltv_ceiling:
            raise ValueError("the LTV ceiling cannot be below the unmitigated maximum")


@dataclass(frozen=True)
class Mitigation:
    """What a lessor accepts against a high LTV (and, for the balloon, against DSCR)."""

    vendor_buy_back: bool = False
    residual_guarantee: bool = False
    extra_deposit: Decimal = ZERO
    residual_guarantor_participant_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "extra_deposit", require_money(self.extra_deposit, "mitigation.extra_deposit")
        )
        named = self.residual_guarantor_participant_id is not None
        if self.residual_guarantee and not named:
            raise Unprocessable(
                "a residual guarantee names its guarantor",
                field="mitigation.residual_guarantor_participant_id",
            )
        if named and not self.residual_guarantee:
            raise Unprocessable(
                "a guarantor is named only with residual_guarantee",
                field="mitigation.residual_guarantor_participant_id",
            )

    @property
    def balloon_cover(self) -> str | None:
        """Who takes the equipment (and so the balloon) off the lessee's hands, if anyone."""
        if self.vendor_buy_back:
            return "vendor_buy_back"
        if self.residual_guarantee:
            return "residual_guarantee"
        return None


@dataclass(frozen=True)
class RiskInputs:
    """What the applicant declares and what the lessor knows, besides the schedule.

    ``existing_related_party_exposure`` is ``None`` unless the lessee is a related party of
    the lessor; it is then the exposure to all of the lessor's related parties."""

    monthly_net_operating_cash_flow: Decimal
    appraised_value: Decimal
    lessor_net_assets: Decimal
    existing_monthly_debt_service: Decimal = ZERO
    existing_lessee_exposure: Decimal = ZERO
    existing_group_exposure: Decimal | None = None
    cash_flow_profile: tuple[Decimal, ...] | None = None
    mitigation: Mitigation = field(default_factory=Mitigation)
    existing_related_party_exposure: Decimal | None = None

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
        if self.existing_related_party_exposure is not None:
            related = require_money(
                self.existing_related_party_exposure, "existing_related_party_exposure"
            )
            object.__setattr__(self, "existing_related_party_exposure", related)


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
        """Machine-readable form (decimals and ids as strings)."""
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


def assess(
    schedule: Schedule, inputs: RiskInputs, limits: RiskLimits | None = None
) -> RiskAssessment:
    """Run every check on ``schedule`` for the applicant and lessor in ``inputs``."""
    limits = limits or RiskLimits()
    financed = schedule.financed_principal
    net_assets = inputs.lessor_net_assets
    return RiskAssessment(
        (
            debt_service_coverage(schedule, inputs, limits),
            loan_to_value(financed, inputs, limits),
            concentration(
                "lessee_concentration",
                financed,
                inputs.existing_lessee_exposure,
                net_assets,
                limits.lessee_concentration,
            ),
            concentration(
                "group_concentration",
                financed,
                inputs.existing_group_exposure,
                net_assets,
                limits.group_concentration,
            ),
            concentration(
                "related_party_concentration",
                financed,
                inputs.existing_related_party_exposure,
                net_assets,
                limits.related_party_concentration,
                absent={"related_party": False},
            ),
        )
    )


@dataclass(frozen=True)
class _Month:
    period: int
    cash_flow: Decimal
    service: Decimal

    @property
    def ratio(self) -> Decimal:
        return self.cash_flow / self.service


def _weakest(months: list[_Month]) -> _Month:
    # Cross-multiplied, so the choice is exact: a/b < c/d ⇔ a·d < c·b (positive b, d).
    weakest = months[0]
    for month in months[1:]:
        if month.cash_flow * weakest.service < weakest.cash_flow * month.service:
            weakest = month
    return weakest


def debt_service_coverage(
    schedule: Schedule, inputs: RiskInputs, limits: RiskLimits | None = None
) -> Check:
    """DSCR of the weakest month over the whole term, the balloon month included."""
    limits = limits or RiskLimits()
    minimum = limits.dscr_minimum
    profile = inputs.cash_flow_profile
    balloon, last = schedule.balloon, schedule.installments[-1].period
    cover = inputs.mitigation.balloon_cover if balloon > 0 else None
    counted: list[_Month] = []
    uncovered: list[_Month] = []
    for item in schedule.installments:
        cash_flow = (
            profile[item.due_date.month - 1]
            if profile is not None
            else inputs.monthly_net_operating_cash_flow
        )
        service = inputs.existing_monthly_debt_service + item.payment
        with_balloon = service + (balloon if item.period == last else ZERO)
        uncovered.append(_Month(item.period, cash_flow, with_balloon))
        counted.append(_Month(item.period, cash_flow, service if cover else with_balloon))
    weakest = _weakest(counted)
    check_inputs: dict[str, Any] = {
        "weakest_period": weakest.period,
        "cash_flow": weakest.cash_flow,
        "debt_service": weakest.service,
        "existing_monthly_debt_service": inputs.existing_monthly_debt_service,
        "cash_flow_source": "profile" if profile is not None else "declared_monthly",
    }
    if balloon > 0:
        check_inputs |= {"balloon": balloon, "balloon_period": last, "balloon_covered_by": cover}
    if weakest.cash_flow >= minimum * weakest.service:
        without_cover = _weakest(uncovered)
        outcome = (
            Outcome.MITIGATED
            if cover is not None and without_cover.cash_flow < minimum * without_cover.service
            else Outcome.PASSED
        )
        if outcome is Outcome.MITIGATED:
            check_inputs["uncovered_value"] = _display(without_cover.ratio, ROUND_FLOOR)
        return Check("dscr", outcome, minimum, ">=", _display(weakest.ratio), check_inputs)
    return Check(
        "dscr",
        Outcome.FAILED,
        minimum,
        ">=",
        _display(weakest.ratio, ROUND_FLOOR),
        check_inputs,
        {
            "ratio": _excess(minimum - weakest.ratio),
            "monthly_cash_flow": _fen_up(minimum * weakest.service - weakest.cash_flow),
        },
    )


def loan_to_value(financed: Decimal, inputs: RiskInputs, limits: RiskLimits | None = None) -> Check:
    limits = limits or RiskLimits()
    appraised, mitigation = inputs.appraised_value, inputs.mitigation
    maximum, ceiling = limits.ltv_maximum, limits.ltv_ceiling
    ratio = financed / appraised
    guarantor = mitigation.residual_guarantor_participant_id
    check_inputs: dict[str, Any] = {
        "financed_principal": financed,
        "appraised_value": appraised,
        "vendor_buy_back": mitigation.vendor_buy_back,
        "residual_guarantee": mitigation.residual_guarantee,
        "residual_guarantor_participant_id": None if guarantor is None else str(guarantor),
        "extra_deposit": mitigation.extra_deposit,
        "ceiling": ceiling,
    }
    if financed > ceiling * appraised:
        check_inputs["limit"] = "ceiling"  # nothing mitigates above it
        return Check(
            "ltv",
            Outcome.FAILED,
            ceiling,
            "<=",
            _display(ratio, ROUND_CEILING),
            check_inputs,
            {
                "ratio": _excess(ratio - ceiling),
                "amount": _fen_up(financed - ceiling * appraised),
            },
        )
    if financed <= maximum * appraised:
        return Check("ltv", Outcome.PASSED, maximum, "<=", _display(ratio), check_inputs)
    deposit = mitigation.extra_deposit
    covered = deposit > 0 and financed - deposit <= maximum * appraised
    if mitigation.vendor_buy_back or mitigation.residual_guarantee or covered:
        return Check("ltv", Outcome.MITIGATED, maximum, "<=", _display(ratio), check_inputs)
    return Check(
        "ltv",
        Outcome.FAILED,
        maximum,
        "<=",
        _display(ratio, ROUND_CEILING),
        check_inputs,
        {
            "ratio": _excess(ratio - maximum),
            "amount": _fen_up(financed - deposit - maximum * appraised),
        },
    )


def concentration(
    name: str,
    financed: Decimal,
    existing: Decimal | None,
    net_assets: Decimal,
    maximum: Decimal,
    *,
    absent: dict[str, Any] | None = None,
) -> Check:
    """Exposure after this lease against a share of the lessor's net assets."""
    if existing is None:
        return Check(name, Outcome.NOT_APPLICABLE, maximum, "<=", None, absent or {"group": None})
    exposure = existing + financed
    ratio = exposure / net_assets
    check_inputs: dict[str, Any] = {
        "existing_exposure": existing,
        "financed_principal": financed,
        "exposure": exposure,
        "lessor_net_assets": net_assets,
    }
    if exposure <= maximum * net_assets:
        return Check(name, Outcome.PASSED, maximum, "<=", _display(ratio), check_inputs)
    return Check(
        name,
        Outcome.FAILED,
        maximum,
        "<=",
        _display(ratio, ROUND_CEILING),
        check_inputs,
        {
            "ratio": _excess(ratio - maximum),
            "amount": _fen_up(exposure - maximum * net_assets),
        },
    )


def _display(ratio: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    return ratio.quantize(RATIO_QUANTUM, rounding=rounding)


def _excess(difference: Decimal) -> Decimal:
    """A ratio shortfall for display, rounded away from zero (never shown as 0)."""
    return difference.quantize(RATIO_QUANTUM, rounding=ROUND_UP)


def _fen_up(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_CEILING)


def _stringify(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
