"""Date windows the parameters define: the clawback period of an early termination and the
day reserved funds lapse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from datapark_subsidy.facts import cite
from datapark_subsidy.policies.catalog import POLICIES, PolicyCode
from datapark_subsidy.policies.parameters import ParameterSet, Reading


def reservation_lapse(reserved_on: date, params: ParameterSet) -> tuple[date, str, Reading]:
    """The day reserved funds lapse if not disbursed, and the explanation line that says so."""
    days, reading = params.days("claims.reservation_lapse_days", reserved_on)
    lapses_on = reserved_on + timedelta(days=days)
    step = (
        f"funds reserved on {reserved_on.isoformat()}; undisbursed they lapse on "
        f"{lapses_on.isoformat()} [{cite(reading)}]"
    )
    return lapses_on, step, reading


@dataclass(frozen=True, slots=True)
class ClawbackDecision:
    applies: bool
    steps: tuple[str, ...]
    reading: Reading


def clawback(
    policy_code: PolicyCode,
    lease_id: str,
    activated_on: date,
    ended_on: date,
    params: ParameterSet,
    end_reason: str = "terminated",
) -> ClawbackDecision:
    """Whether a lease's end gives back what it drew under ``policy_code``.

    Only the ways of ending listed in ``<policy>.clawback_ends`` count as an early termination
    (by default a termination; an early buyout leaves the robot with the lessee). The period is
    the policy's ``clawback_period_days`` in force when the lease became active; it is
    half-open: an end on its last day is inside, on the day after it is not.
    """
    policy = POLICIES[policy_code]
    days, reading = params.days(policy.parameter("clawback_period_days"), activated_on)
    ends, ends_reading = params.codes(policy.parameter("clawback_ends"), activated_on)
    period_end = activated_on + timedelta(days=days)
    if end_reason not in ends:
        step = (
            f"lease {lease_id} ended ({end_reason}) on {ended_on.isoformat()}; only "
            f"{', '.join(ends)} claws back [{cite(ends_reading)}]: nothing clawed back"
        )
        return ClawbackDecision(False, (step,), ends_reading)
    applies = activated_on <= ended_on < period_end
    step = (
        f"lease {lease_id} active {activated_on.isoformat()}, {end_reason} "
        f"{ended_on.isoformat()}; clawback period [{activated_on.isoformat()}, "
        f"{period_end.isoformat()}) [{cite(reading)}]: "
        + ("inside, what it drew is clawed back" if applies else "outside, nothing clawed back")
    )
    return ClawbackDecision(applies, (step,), reading)
