"""What each lease policy entitles a company to, with the computation spelled out step by step.

Pure functions of the facts (a lease, the lessee's region) and the dated parameters; no I/O.
Every figure is rounded half-up to the fen at the step that produces it, and every result
carries an :class:`~datapark_subsidy.terms.assessment.Explanation` naming the parameters,
the dated values it read and the version of the policy files, so the same inputs always
recompute the same figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.terms.assessment import (
    ZERO,
    Entitlement,
    Explanation,
    Ineligible,
    LeaseAssessment,
    LeaseFacts,
    Lessee,
    ReasonCode,
    Receivable,
    cite,
)
from datapark_subsidy.terms.parameters import ParameterSet, Reading
from datapark_subsidy.terms.policies import (
    LEASE_POLICIES,
    POLICIES,
    Policy,
    PolicyCode,
    region_of,
)

# --------------------------------------------------------------------------- lease policies


def _start(policy: Policy, params: ParameterSet) -> Explanation:
    return Explanation(policy.code, params.version, (), ())


def _lessee_region_step(
    policy: Policy, lessee: Lessee, params: ParameterSet, on: date
) -> tuple[str, Reading] | Ineligible:
    if lessee.kind != "company":
        return Ineligible(
            policy.code,
            ReasonCode.NOT_A_COMPANY,
            f"the lessee is a {lessee.kind}; the policy supports enterprises (企业)",
        )
    region, reading = region_of(lessee.region_code, params, on)
    if region is not policy.region or reading is None:
        return Ineligible(
            policy.code,
            ReasonCode.REGION_NOT_COVERED,
            f"lessee's registered region {lessee.region_code} is not in "
            f"{policy.region.value} (regions.{policy.region.value})",
        )
    return (
        f"lessee {lessee.participant_id} is registered in {lessee.region_code}, "
        f"in {region.value}: {cite(reading)}"
    ), reading


def _listed_step(
    policy: Policy,
    leaf: str,
    what: str,
    item: str,
    params: ParameterSet,
    on: date,
    reason: ReasonCode,
) -> tuple[str, Reading] | Ineligible:
    if params.read_optional(policy.parameter(leaf), on) is None:
        return Ineligible(
            policy.code,
            ReasonCode.POLICY_NOT_IN_FORCE,
            f"{policy.parameter(leaf)} has no value on {on.isoformat()}",
        )
    listed, reading = params.codes(policy.parameter(leaf), on)
    if item not in listed:
        return Ineligible(
            policy.code,
            reason,
            f"{what} '{item}' is not in {policy.parameter(leaf)} ({reading.render()})",
        )
    return f"{what} {item} qualifies: {cite(reading)}", reading


BASIS_FINANCING_COST = "financing_cost"
BASIS_FINANCED_PRINCIPAL = "financed_principal"
BASES = (BASIS_FINANCING_COST, BASIS_FINANCED_PRINCIPAL)
RATE_SUPPORTED_KINDS = frozenset({"installment", "balloon"})
"""Receivables that carry financing cost (a usage invoice or a rental price carries none)."""


def conditions_date(policy: Policy, lease: LeaseFacts, params: ParameterSet) -> date:
    """The day a lease's conditions (region, mode, category, reading) are read: its activation,
    or, for a lease that became active before the policy applied, the first due date of its
    receivables on which the policy's rate is in force."""
    rate = policy.parameter("rate")
    if params.read_optional(rate, lease.activated_on) is not None:
        return lease.activated_on
    later = sorted(
        r.due_on
        for r in lease.receivables
        if r.due_on > lease.activated_on and params.read_optional(rate, r.due_on) is not None
    )
    return later[0] if later else lease.activated_on


def _eligible(
    policy: Policy, lease: LeaseFacts, lessee: Lessee, params: ParameterSet, *, categories: bool
) -> Explanation | Ineligible:
    on = conditions_date(policy, lease, params)
    checks = [
        _lessee_region_step(policy, lessee, params, on),
        _listed_step(
            policy,
            "qualifying_lease_modes",
            "lease mode",
            lease.mode,
            params,
            on,
            ReasonCode.LEASE_MODE_NOT_COVERED,
        ),
    ]
    if categories:
        checks.append(
            _listed_step(
                policy,
                "qualifying_equipment_categories",
                "equipment category",
                lease.equipment_category,
                params,
                on,
                ReasonCode.EQUIPMENT_NOT_COVERED,
            )
        )
    explanation = _start(policy, params)
    for check in checks:
        if isinstance(check, Ineligible):
            return check
        explanation = explanation.then([check[0]], [check[1]])
    step = f"lease {lease.lease_id} became active on {lease.activated_on.isoformat()}"
    if on != lease.activated_on:
        step += f"; the policy applies to it from {on.isoformat()}, its conditions read then"
    return explanation.then([step])


def _ending_step(lease: LeaseFacts) -> list[str]:
    if lease.ended_on is None:
        return []
    late = [r for r in lease.receivables if r.due_on > lease.ended_on]
    step = (
        f"the lease ended ({lease.end_reason or 'ended'}) on {lease.ended_on.isoformat()}: "
        "accrual stops there"
    )
    if late:
        step += f"; {len(late)} receivable(s) falling due after it earn nothing"
    return [step]


def _earned_step(lease: LeaseFacts, year: int) -> str:
    earned_on = lease.earned_on(year)
    why = "the lease's end" if earned_on < date(year + 1, 1, 1) else f"the end of {year}"
    return (
        f"the {year} entitlement is earned on {earned_on.isoformat()} ({why}); "
        "it cannot be reviewed, approved or paid before"
    )


def beijing_financing_lease(
    lease: LeaseFacts, lessee: Lessee, params: ParameterSet
) -> tuple[Entitlement, ...] | Ineligible:
    """Rate support for a financing lease of listed equipment, year by year as earned.

    Under ``beijing_financing_lease.basis`` = ``financing_cost`` (in force on the activation
    date) each instalment that fell due and was paid earns min(its interest and fees, its
    opening financed balance x rate / 12), rounded half-up to the fen, at the rate in force on
    its due date; a year's entitlement is the sum over the instalments due in it. Under the
    older ``financed_principal`` basis the lease earns rate x financed principal once, in the
    year it became active.
    """
    policy = POLICIES[PolicyCode.BEIJING_FINANCING_LEASE]
    on = conditions_date(policy, lease, params)
    if params.read_optional(policy.parameter("basis"), on) is None:
        return Ineligible(
            policy.code,
            ReasonCode.POLICY_NOT_IN_FORCE,
            f"{policy.parameter('basis')} has no value on {on.isoformat()}",
        )
    base = _eligible(policy, lease, lessee, params, categories=True)
    if isinstance(base, Ineligible):
        return base
    basis, basis_reading = params.keyword(policy.parameter("basis"), on, BASES)
    base = base.then([f"reading: {cite(basis_reading)}"], [basis_reading])
    # (the basis in force when the policy first applies to the lease governs the lease)
    if basis == BASIS_FINANCED_PRINCIPAL:
        return _beijing_on_principal(policy, lease, params, base)
    by_year: dict[int, list[Receivable]] = defaultdict(list)
    for receivable in lease.earned():
        if receivable.kind in RATE_SUPPORTED_KINDS:
            by_year[receivable.due_on.year].append(receivable)
    entitlements: list[Entitlement] = []
    for year in sorted(by_year):
        steps = [*_ending_step(lease)]
        readings: list[Reading] = []
        amount = ZERO
        for r in by_year[year]:
            rate_reading = params.read_optional(policy.parameter("rate"), r.due_on)
            if rate_reading is None:
                steps.append(
                    f"{r.kind} {r.period} due {r.due_on.isoformat()}: "
                    f"{policy.parameter('rate')} not in force, earns nothing"
                )
                continue
            rate = Decimal(rate_reading.value)  # type: ignore[arg-type]  # a "/1" value
            cost = to_fen(r.interest + r.fees)
            ceiling = to_fen(r.opening_balance * rate / 12)
            support = min(cost, ceiling)
            amount += support
            readings.append(rate_reading)
            steps.append(
                f"{r.kind} {r.period} due {r.due_on.isoformat()}, paid "
                f"{r.paid_on.isoformat() if r.paid_on else '-'}: min(interest {to_fen(r.interest)}"
                f" + fees {to_fen(r.fees)} = {cost}, opening balance {to_fen(r.opening_balance)}"
                f" x {rate} / 12 = {ceiling}) = {support}"
            )
        if amount <= 0:
            continue
        rates = sorted({cite(r) for r in readings})
        steps.append(f"amount for {year} = {amount} [{'; '.join(rates)}]")
        steps.append(_earned_step(lease, year))
        entitlements.append(
            Entitlement(
                policy.code,
                lease.participant_id,
                lease.lease_id,
                str(year),
                lease.earned_on(year),
                amount,
                base.then(steps, readings),
            )
        )
    if not entitlements:
        return Ineligible(
            policy.code,
            ReasonCode.NOTHING_EARNED,
            "no instalment that fell due and was paid carries financing cost to support "
            "(a 0 % lease earns nothing)",
        )
    return tuple(entitlements)


def _beijing_on_principal(
    policy: Policy, lease: LeaseFacts, params: ParameterSet, base: Explanation
) -> tuple[Entitlement, ...] | Ineligible:
    on = lease.activated_on
    rate_reading = params.read_optional(policy.parameter("rate"), on)
    if rate_reading is None:
        return Ineligible(
            policy.code,
            ReasonCode.POLICY_NOT_IN_FORCE,
            f"{policy.parameter('rate')} has no value on {on.isoformat()}",
        )
    principal = to_fen(lease.cost - lease.down_payment)
    if principal <= 0:
        return Ineligible(
            policy.code,
            ReasonCode.NOTHING_FINANCED,
            f"financed principal {principal} is not positive",
        )
    rate = Decimal(rate_reading.value)  # type: ignore[arg-type]  # a "/1" value
    amount = to_fen(principal * rate)
    if amount <= 0:
        return Ineligible(
            policy.code, ReasonCode.ROUNDS_TO_ZERO, f"{principal} x rate {rate} rounds to nothing"
        )
    explanation = base.then(
        [
            f"financed principal = cost {to_fen(lease.cost)} - down payment "
            f"{to_fen(lease.down_payment)} = {principal}",
            f"amount = {principal} x rate {rate} = {amount} "
            f"[{cite(rate_reading)}], rounded half-up to the fen",
            _earned_step(lease, on.year),
        ],
        [rate_reading],
    )
    return (
        Entitlement(
            policy.code,
            lease.participant_id,
            lease.lease_id,
            str(on.year),
            lease.earned_on(on.year),
            amount,
            explanation,
        ),
    )


def xiongan_robot_leasing(
    lease: LeaseFacts, lessee: Lessee, params: ParameterSet
) -> tuple[Entitlement, ...] | Ineligible:
    """10 % (a dated rate) of the contractual lease payments that fell due in a calendar year
    and were paid, one entitlement per year.

    The payments that count are ``xiongan_robot_leasing.counted_payments`` (instalments, the
    balloon, usage invoices, a rental's price; never deposits, fees, penalties or a buyout
    price). A lease straddling 31 December splits by due date, each payment at the rate in
    force on its due date; nothing falling due after the lease ended earns.
    """
    policy = POLICIES[PolicyCode.XIONGAN_ROBOT_LEASING]
    on = lease.activated_on
    if params.read_optional(policy.parameter("rate"), on) is None and not any(
        params.read_optional(policy.parameter("rate"), r.due_on) for r in lease.receivables
    ):
        return Ineligible(
            policy.code,
            ReasonCode.POLICY_NOT_IN_FORCE,
            f"{policy.parameter('rate')} is in force neither on {on.isoformat()} "
            "nor on any payment's due date",
        )
    base = _eligible(policy, lease, lessee, params, categories=False)
    if isinstance(base, Ineligible):
        return base
    counted_name = policy.parameter("counted_payments")
    by_year: dict[int, list[Receivable]] = defaultdict(list)
    counted_readings: list[Reading] = []
    for receivable in lease.earned():
        reading = params.read_optional(counted_name, receivable.due_on)
        if reading is None:
            continue  # the policy was not in force when it fell due
        kinds, _ = params.codes(counted_name, receivable.due_on)
        if receivable.kind in kinds:
            by_year[receivable.due_on.year].append(receivable)
            counted_readings.append(reading)
    if counted_readings:
        base = base.then(
            [f"lease payments that count: {cite(counted_readings[0])}"], counted_readings
        )
    entitlements: list[Entitlement] = []
    for year in sorted(by_year):
        explanation, amount = _xiongan_year(policy, params, base, year, by_year[year])
        if amount > 0:
            entitlements.append(
                Entitlement(
                    policy.code,
                    lease.participant_id,
                    lease.lease_id,
                    str(year),
                    lease.earned_on(year),
                    amount,
                    explanation.then([*_ending_step(lease), _earned_step(lease, year)]),
                )
            )
    if not entitlements:
        return Ineligible(
            policy.code,
            ReasonCode.NO_PAYMENTS_DUE,
            "no lease payment fell due and was paid while the rate is in force",
        )
    return tuple(entitlements)


def _xiongan_year(
    policy: Policy,
    params: ParameterSet,
    base: Explanation,
    year: int,
    payments: Sequence[Receivable],
) -> tuple[Explanation, Decimal]:
    due = to_fen(sum((p.amount for p in payments), Decimal(0)))
    kinds = ", ".join(sorted({p.kind for p in payments}))
    steps = [
        f"lease payments ({kinds}) that fell due in {year} and were paid: {len(payments)} "
        f"totalling {due} ({payments[0].due_on.isoformat()} .. "
        f"{payments[-1].due_on.isoformat()})"
    ]
    groups: dict[Reading, list[Receivable]] = {}
    unrated: list[Receivable] = []
    for payment in payments:
        reading = params.read_optional(policy.parameter("rate"), payment.due_on)
        if reading is None:
            unrated.append(payment)
        else:
            groups.setdefault(reading, []).append(payment)
    if unrated:
        steps.append(
            f"{len(unrated)} payment(s) fall due when {policy.parameter('rate')} "
            "is not in force and earn nothing"
        )
    amount = Decimal("0.00")
    for reading, group in groups.items():
        subtotal = to_fen(sum((p.amount for p in group), Decimal(0)))
        rate = Decimal(reading.value)  # type: ignore[arg-type]  # a "/1" value is a Decimal
        part = to_fen(subtotal * rate)
        amount += part
        steps.append(
            f"payments due {group[0].due_on.isoformat()} .. "
            f"{group[-1].due_on.isoformat()}: {subtotal} x rate {rate} = {part} "
            f"[{cite(reading)}]"
        )
    if len(groups) > 1:
        steps.append(f"amount for {year} = {amount}")
    return base.then(steps, groups), amount


LEASE_RULES = {
    PolicyCode.BEIJING_FINANCING_LEASE: beijing_financing_lease,
    PolicyCode.XIONGAN_ROBOT_LEASING: xiongan_robot_leasing,
}


def assess_lease(
    lease: LeaseFacts,
    lessee: Lessee,
    params: ParameterSet,
    already_drawn: Iterable[PolicyCode] = (),
) -> LeaseAssessment:
    """Run every lease policy on a lease, then apply the stacking rule.

    One lease draws at most one regional lease subsidy unless a policy stacks
    (``<policy>.stacks``). ``already_drawn`` names policies the lease already has claims
    under; a non-stacking policy is refused if the lease drew another non-stacking one, and of
    several new non-stacking candidates only the largest is kept.
    """
    found: dict[PolicyCode, tuple[Entitlement, ...]] = {}
    ineligible: list[Ineligible] = []
    for policy in LEASE_POLICIES:
        verdict = LEASE_RULES[policy.code](lease, lessee, params)
        if isinstance(verdict, Ineligible):
            ineligible.append(verdict)
        else:
            found[policy.code] = verdict
    return _apply_stacking(lease, params, found, ineligible, frozenset(already_drawn))


def _stacks(code: PolicyCode, params: ParameterSet, on: date) -> tuple[bool, Reading | None]:
    reading = params.read_optional(POLICIES[code].parameter("stacks"), on)
    if reading is None:
        return False, None
    return bool(reading.value), reading


def _apply_stacking(
    lease: LeaseFacts,
    params: ParameterSet,
    found: dict[PolicyCode, tuple[Entitlement, ...]],
    ineligible: list[Ineligible],
    already_drawn: frozenset[PolicyCode],
) -> LeaseAssessment:
    on = lease.activated_on
    drawn_exclusive = sorted(c for c in already_drawn if not _stacks(c, params, on)[0])
    exclusive = [c for c in found if not _stacks(c, params, on)[0]]
    keep: set[PolicyCode] = {c for c in found if c not in exclusive}
    if drawn_exclusive:
        keep |= {c for c in exclusive if c in drawn_exclusive}
        losers = [c for c in exclusive if c not in drawn_exclusive]
        why = f"the lease already draws {', '.join(drawn_exclusive)}"
    elif exclusive:

        def total(code: PolicyCode) -> Decimal:
            return sum((e.amount for e in found[code]), Decimal(0))

        winner = max(exclusive, key=lambda c: (total(c), c.value))
        keep.add(winner)
        losers = [c for c in exclusive if c != winner]
        why = f"the lease draws {winner.value}, the larger regional lease subsidy"
    else:
        losers, why = [], ""
    for code in losers:
        ineligible.append(
            Ineligible(
                code,
                ReasonCode.LEASE_ALREADY_SUBSIDISED,
                f"one lease draws one regional lease subsidy: {why}",
            )
        )
    entitlements: list[Entitlement] = []
    for code in (c for c in found if c in keep):
        stacks, reading = _stacks(code, params, on)
        step = (f"stacking: {cite(reading)}; " if reading else "stacking: ") + (
            "this subsidy may be drawn beside others"
            if stacks
            else "the lease draws no other regional lease subsidy"
        )
        entitlements.extend(
            replace(e, explanation=e.explanation.then([step], [reading] if reading else []))
            for e in found[code]
        )
    return LeaseAssessment(tuple(entitlements), tuple(ineligible))


# --------------------------------------------------------------------------- caps


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def period_cap(
    policy: Policy, period: str, on: date, params: ParameterSet
) -> tuple[Decimal, Reading]:
    """The cap of one budget row.

    A calendar-year cap is the value in force on 1 January (or, for a policy that starts during
    the year, its first value that year); a designation's cap is the value in force on ``on``,
    the day the application was made.
    """
    if period.isdigit():
        start, end = year_bounds(int(period))
        reading = params.get(policy.cap_parameter).first_on_or_after(start, end)
        if reading is None:
            raise Unprocessable(
                f"{policy.cap_parameter} is not in force in {period}",
                field=policy.cap_parameter,
                code=SubsidyProblem.PARAMETER_NOT_IN_FORCE,
            )
        return Decimal(reading.value), reading  # type: ignore[arg-type]  # a currency value
    return params.decimal(policy.cap_parameter, on)
