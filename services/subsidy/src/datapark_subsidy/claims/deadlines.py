"""Date windows the parameters define: the clawback period of an early termination and the
day reserved funds lapse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from datapark_subsidy.terms.assessment import cite
from datapark_subsidy.terms.parameters import ParameterSet, Reading
from datapark_subsidy.terms.policies import POLICIES, PolicyCode


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
    readings: tuple[Reading, ...]


def _from_activation(params: ParameterSet, name: str, activated_on: date) -> Reading | None:
    """The value in force on the activation date, or (for a lease active before the policy)
    the first value after it."""
    reading = params.read_optional(name, activated_on)
    return reading or params.get(name).first_on_or_after(activated_on, date.max)


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
    the policy's ``clawback_period_days`` in force when the lease became active (or when the
    policy first applied to it); it is half-open: an end on its last day is inside, on the day
    after it is not.
    """
    policy = POLICIES[policy_code]
    days_reading = _from_activation(params, policy.parameter("clawback_period_days"), activated_on)
    ends_reading = _from_activation(params, policy.parameter("clawback_ends"), activated_on)
    if days_reading is None or ends_reading is None:
        return ClawbackDecision(False, (f"{policy_code.value}: no clawback rule in force",), ())
    ends = ends_reading.value if isinstance(ends_reading.value, tuple) else ()
    if end_reason not in ends:
        step = (
            f"lease {lease_id} ended ({end_reason}) on {ended_on.isoformat()}; only "
            f"{', '.join(ends)} claws back [{cite(ends_reading)}]: nothing clawed back"
        )
        return ClawbackDecision(False, (step,), (ends_reading,))
    days = days_reading.value if isinstance(days_reading.value, int) else 0
    period_end = activated_on + timedelta(days=days)
    applies = activated_on <= ended_on < period_end
    step = (
        f"lease {lease_id} active {activated_on.isoformat()}, {end_reason} "
        f"{ended_on.isoformat()}; clawback period [{activated_on.isoformat()}, "
        f"{period_end.isoformat()}) [{cite(days_reading)}]: "
        + ("inside, what it drew is clawed back" if applies else "outside, nothing clawed back")
    )
    return ClawbackDecision(applies, (step,), (days_reading,))
