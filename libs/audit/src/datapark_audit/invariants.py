"""``invariants``: rules that hold across services, checked from the log alone.

1. Every lease subsidy claim belongs to a lease of the same lessee that was activated before
   the claim appeared, in the policy's region; and its amount recomputes from the parameter
   values recorded on the claim (when the claim records them: ``parameters`` with a ``base``
   and a ``rate``, amount = base x rate, rounded half-up to cents, capped by ``cap``).
2. No budget committed (or reserved plus committed) beyond its cap.
3. Per agreement and escrow lock: locked = claimed + released + refunded + remaining, and the
   ledger balances: every payout splits into seller amount + venue fee.
4. Every settled trade (escrow released) had a transfer confirmed (completed) before.
5. No two confirmed bookings of one robot unit overlap in time.
6. Every participant an event names existed, and was active, at the event's time.

Each violation names the event (topic, partition, offset, id) that breaks the rule.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from datapark_audit.log import Event
from datapark_audit.rebuild import money
from datapark_audit.verify import Finding

# The auditor's own reading of the policy regions (GB/T 2260 division code prefixes), as
# published in subsidy's parameter files (regions/*.yaml).
POLICY_REGIONS: dict[str, tuple[str, ...]] = {
    "beijing_financing_lease": ("11",),
    "xiongan_robot_leasing": ("130629", "130632", "130638", "133100"),
    "fujian_data_cluster": ("35",),
    "fujian_data_park": ("35",),
}
# Fields that name a participant, wherever they appear in an event's data.
PARTICIPANT_FIELDS = (
    "participant_id",
    "provider_id",
    "consumer_id",
    "buyer_id",
    "seller_id",
    "lessee_participant_id",
    "lessor_participant_id",
    "customer_participant_id",
)
# Booking states in which the units are held for the customer.
HELD_BOOKING = {"confirmed", "checked_out"}
ACTIVE_LEASE = {"active", "activated"}
CENT = Decimal("0.01")
ZERO_CENTS = Decimal("0.00")


def _finding(check: str, reason: str, event: Event) -> Finding:
    return Finding(check, reason, event.topic, event.partition, event.offset, event.id, event.type)


@dataclass
class _Participant:
    registered_at: datetime
    history: list[tuple[datetime, str]]
    region_code: str
    operating_region_code: str | None

    def status_at(self, moment: datetime) -> str | None:
        status = None
        for at, value in self.history:
            if at <= moment:
                status = value
        return status


def _participants(events: list[Event]) -> dict[str, _Participant]:
    found: dict[str, _Participant] = {}
    for event in events:
        if not event.type.startswith("datapark.catalog.participant."):
            continue
        data = event.data
        entry = found.get(event.subject)
        if entry is None:
            entry = _Participant(event.time, [], str(data.get("region_code", "")), None)
            found[event.subject] = entry
        entry.history.append((event.time, str(data.get("status"))))
        entry.region_code = str(data.get("region_code", entry.region_code))
        entry.operating_region_code = data.get("operating_region_code")
    return found


def _claims_and_leases(events: list[Event], participants: dict[str, _Participant]) -> list[Finding]:
    findings: list[Finding] = []
    activated: dict[str, tuple[datetime, str]] = {}
    principal: dict[str, Decimal] = {}
    for event in events:
        if event.type.startswith("datapark.rental.lease."):
            if "financed_principal" in event.data:
                principal[event.subject] = money(event.data["financed_principal"])
            if event.data.get("state") in ACTIVE_LEASE or event.type.endswith(".activated.v1"):
                activated.setdefault(
                    event.subject, (event.time, str(event.data.get("lessee_participant_id")))
                )
            continue
        if event.type != "datapark.subsidy.claim.created.v1":
            continue
        data = event.data
        lease_id = data.get("lease_id")
        if lease_id is None:
            continue
        lease = activated.get(str(lease_id))
        if lease is None or lease[0] > event.time:
            findings.append(
                _finding(
                    "claim_without_lease",
                    f"claim {data.get('claim_id')} names lease {lease_id}, which the log does "
                    "not show activated before the claim",
                    event,
                )
            )
            continue
        if lease[1] != str(data.get("participant_id")):
            findings.append(
                _finding(
                    "claim_lessee",
                    f"claim {data.get('claim_id')} is for {data.get('participant_id')}, but lease "
                    f"{lease_id} is {lease[1]}'s",
                    event,
                )
            )
        prefixes = POLICY_REGIONS.get(str(data.get("policy")))
        lessee = participants.get(lease[1])
        if prefixes and lessee is not None:
            codes = [lessee.region_code, lessee.operating_region_code or ""]
            if not any(code.startswith(prefixes) for code in codes if code):
                findings.append(
                    _finding(
                        "claim_region",
                        f"claim {data.get('claim_id')} under {data.get('policy')}, but the lessee "
                        f"is in region {lessee.region_code}",
                        event,
                    )
                )
        problem = recompute_claim(data, principal.get(str(lease_id)))
        if problem:
            findings.append(
                _finding("claim_amount", f"claim {data.get('claim_id')}: {problem}", event)
            )
    return findings


_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
_FINANCED = re.compile(rf"financed principal = cost {_NUMBER} - down payment {_NUMBER} = {_NUMBER}")
_RATE_AMOUNT = re.compile(rf"amount = {_NUMBER} x rate {_NUMBER} = {_NUMBER}")
_INSTALMENT = re.compile(
    rf"min\(interest {_NUMBER} \+ fees {_NUMBER} = {_NUMBER}, opening balance {_NUMBER} x "
    rf"{_NUMBER} / 12 = {_NUMBER}\) = {_NUMBER}"
)
_YEAR_AMOUNT = re.compile(rf"amount for [0-9]{{4}} = {_NUMBER}")


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def recompute_claim(data: dict[str, Any], lease_principal: Decimal | None) -> str | None:
    """Recompute a lease claim's amount from the parameter values it records.

    Claims record them in ``parameters`` (``base``, ``rate``, optional ``cap``) or, as
    subsidy writes them today, in the steps of ``explanation``: the financed principal (cost
    less down payment), ``amount = base x rate``, or per installment ``min(interest + fees,
    opening balance x rate / 12)`` summed into ``amount for <year>``. Every step that is there
    is recomputed, the base is held against the lease's financed principal in the log, and the
    result against ``entitled``. None when everything agrees or nothing is recorded.
    """
    entitled = money(data.get("entitled"))
    parameters = data.get("parameters")
    if isinstance(parameters, dict) and "base" in parameters and "rate" in parameters:
        amount = _half_up(money(parameters["base"]) * Decimal(str(parameters["rate"])))
        if "cap" in parameters:
            amount = min(amount, money(parameters["cap"]))
        if amount != entitled:
            return f"entitled to {entitled}, its recorded parameters give {amount}"
        return None
    text = "\n".join(str(line) for line in data.get("explanation", ()) or ())
    for cost, down, stated in _FINANCED.findall(text):
        if money(cost) - money(down) != money(stated):
            return f"financed principal {cost} - {down} is not {stated}"
        if lease_principal is not None and money(stated) != lease_principal:
            return (
                f"financed principal {stated}, but the lease in the log finances {lease_principal}"
            )
    for base, rate, stated in _RATE_AMOUNT.findall(text):
        amount = _half_up(money(base) * Decimal(rate))
        if amount != money(stated):
            return f"{base} x {rate} is {amount}, not {stated}"
        if lease_principal is not None and money(base) != lease_principal:
            return f"the base {base} is not the lease's financed principal {lease_principal}"
        if amount != entitled:
            return f"entitled to {entitled}, its recorded parameters give {amount}"
    shares = []
    for interest, fees, cost, balance, rate, cap, share in _INSTALMENT.findall(text):
        if money(interest) + money(fees) != money(cost):
            return f"interest {interest} + fees {fees} is not {cost}"
        if _half_up(money(balance) * Decimal(rate) / 12) != money(cap):
            return f"{balance} x {rate} / 12 is not {cap}"
        if min(money(cost), money(cap)) != money(share):
            return f"min({cost}, {cap}) is not {share}"
        shares.append(money(share))
    for stated in _YEAR_AMOUNT.findall(text):
        if shares and sum(shares, ZERO_CENTS) != money(stated):
            return f"the installments' shares add up to {sum(shares, ZERO_CENTS)}, not {stated}"
        if money(stated) != entitled:
            return f"entitled to {entitled}, its recorded parameters give {stated}"
    return None


def _budgets(events: list[Event]) -> list[Finding]:
    findings = []
    for event in events:
        if event.type != "datapark.subsidy.budget.entry_recorded.v1":
            continue
        data = event.data
        cap, reserved, committed = (
            money(data.get("cap")),
            money(data.get("reserved")),
            money(data.get("committed")),
        )
        if committed > cap or reserved + committed > cap:
            findings.append(
                _finding(
                    "budget_overspent",
                    f"budget {data.get('budget_id')} ({data.get('policy')}, {data.get('period')}) "
                    f"holds {reserved} reserved + {committed} committed against a cap of {cap}",
                    event,
                )
            )
    return findings


def _escrow(events: list[Event]) -> list[Finding]:
    findings = []
    locks: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    last: dict[str, Event] = {}
    for event in events:
        if not event.type.startswith("datapark.trading.agreement.escrow_"):
            continue
        data = event.data
        fact = event.type.split(".")[3].removeprefix("escrow_")
        lock_key = f"{data.get('agreement_id')}/{data.get('lock_id')}"
        amount = money(data.get("amount"))
        locks[lock_key][fact] += amount
        locks[lock_key]["remaining"] = money(data.get("lock_remaining"))
        last[lock_key] = event
        if fact in ("claimed", "released"):
            split = money(data.get("seller_amount")) + money(data.get("fee_amount"))
            if split != amount:
                findings.append(
                    _finding(
                        "escrow_ledger",
                        f"agreement {data.get('agreement_id')}: {fact} {amount} but seller "
                        f"{data.get('seller_amount')} + fee {data.get('fee_amount')} = {split}: "
                        "the ledger does not sum to zero",
                        event,
                    )
                )
    for lock_key, figures in locks.items():
        out = figures["claimed"] + figures["released"] + figures["refunded"] + figures["remaining"]
        if figures["locked"] != out:
            findings.append(
                _finding(
                    "escrow_balance",
                    f"agreement/lock {lock_key}: locked {figures['locked']} but claimed "
                    f"{figures['claimed']} + released {figures['released']} + refunded "
                    f"{figures['refunded']} + remaining {figures['remaining']} = {out}",
                    last[lock_key],
                )
            )
    return findings


def _settlement(events: list[Event]) -> list[Finding]:
    findings = []
    confirmed: dict[str, datetime] = {}
    for event in events:
        if event.type.startswith("datapark.trading.transfer.") and (
            event.data.get("state") == "COMPLETED"
        ):
            confirmed.setdefault(str(event.data.get("agreement_id")), event.time)
    for event in events:
        # the confirmation and the release commit together: the same time is "before"
        if event.type == "datapark.trading.agreement.escrow_released.v1":
            agreement = str(event.data.get("agreement_id"))
            at = confirmed.get(agreement)
            if at is None or at > event.time:
                findings.append(
                    _finding(
                        "settled_without_transfer",
                        f"agreement {agreement} settled (escrow released) with no confirmed "
                        "transfer before it",
                        event,
                    )
                )
    return findings


def _span(data: dict[str, Any]) -> tuple[datetime, datetime] | None:
    try:
        start = datetime.fromisoformat(str(data["reserved_from"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(data["reserved_until"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    return start, end


def _bookings(events: list[Event]) -> list[Finding]:
    """Replays the bookings: whenever one becomes (or stays) confirmed, no other booking that
    is confirmed at that moment may hold one of its units over an overlapping time."""
    holding: dict[str, dict[str, Any]] = {}
    findings = []
    for event in events:
        if not event.type.startswith("datapark.rental.booking."):
            continue
        data = event.data
        if data.get("status") not in HELD_BOOKING:
            holding.pop(event.subject, None)
            continue
        span = _span(data)
        if span is None:
            continue
        units = {str(u) for u in data.get("unit_ids", ())}
        for other_id, other in holding.items():
            if other_id == event.subject:
                continue
            other_span = _span(other)
            shared = units & {str(u) for u in other.get("unit_ids", ())}
            if other_span and shared and span[0] < other_span[1] and other_span[0] < span[1]:
                findings.append(
                    _finding(
                        "booking_overlap",
                        f"robot unit {sorted(shared)[0]}: bookings {other_id} and {event.subject} "
                        "are both confirmed and overlap",
                        event,
                    )
                )
        holding[event.subject] = data
    return findings


def _named_participants(
    events: list[Event], participants: dict[str, _Participant]
) -> list[Finding]:
    findings = []
    for event in events:
        if event.type.startswith("datapark.catalog.participant."):
            continue
        for name in PARTICIPANT_FIELDS:
            value = event.data.get(name)
            if value is None:
                continue
            entry = participants.get(str(value))
            if entry is None or entry.registered_at > event.time:
                findings.append(
                    _finding(
                        "participant_unknown",
                        f"{name} {value} was not a registered participant at the event's time",
                        event,
                    )
                )
            elif entry.status_at(event.time) != "active" and event.type.endswith(
                (".created.v1", ".placed.v1", ".held.v1", ".submitted.v1", ".requested.v1")
            ):
                findings.append(
                    _finding(
                        "participant_inactive",
                        f"{name} {value} was {entry.status_at(event.time)}, not active, when "
                        "it started this",
                        event,
                    )
                )
    return findings


def check(events: list[Event], *, as_of: datetime | None = None) -> list[Finding]:
    """Every invariant violation among ``events`` (in time order) up to ``as_of``."""
    if as_of is not None:
        events = [e for e in events if e.time <= as_of]
    participants = _participants(events)
    findings: list[Finding] = []
    findings += _claims_and_leases(events, participants)
    findings += _budgets(events)
    findings += _escrow(events)
    findings += _settlement(events)
    findings += _bookings(events)
    findings += _named_participants(events, participants)
    return findings
