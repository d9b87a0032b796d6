"""Replay and what-if: figures checked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datapark_kit.errors import Unprocessable
from datapark_subsidy.facts import LeaseFacts, Lessee, Payment
from datapark_subsidy.lifecycle import ClaimStatus
from datapark_subsidy.policies import PolicyCode, load_parameters
from datapark_subsidy.simulation import (
    LeaseActivated,
    LeaseTerminated,
    RentalEvent,
    replay,
    simulate,
)

PARAMS = load_parameters()
LESSEES = {"B1": Lessee("B1", "110105"), "B2": Lessee("B2", "110108"), "X1": Lessee("X1", "130632")}


def financing(lease_id: str, who: str, cost: str, down: str, on: date) -> LeaseActivated:
    return LeaseActivated(
        LeaseFacts(
            lease_id, who, "financing_lease", "industrial_arm", Decimal(cost), Decimal(down), on
        )
    )


def rental(lease_id: str, who: str, on: date, *payments: tuple[date, str]) -> LeaseActivated:
    return LeaseActivated(
        LeaseFacts(
            lease_id,
            who,
            "long_term",
            "amr",
            Decimal(0),
            Decimal(0),
            on,
            tuple(Payment(d, Decimal(a)) for d, a in payments),
        )
    )


EVENTS = [
    financing("L1", "B1", "2000000.00", "200000.00", date(2025, 2, 1)),  # P 1,800,000
    financing("L2", "B1", "190000000.00", "10000000.00", date(2025, 5, 1)),  # P 180,000,000
    financing("L3", "B2", "500000.00", "50000.00", date(2025, 6, 1)),  # P 450,000
    rental(
        "L4",
        "X1",
        date(2025, 1, 1),
        (date(2025, 6, 1), "120000.00"),
        (date(2026, 1, 1), "50000.00"),
    ),
    financing("L5", "B2", "100000.00", "0.00", date(2026, 3, 1)),  # outside the period
]


def test_replay_settles_in_event_order_and_ignores_replayed_activations() -> None:
    result = replay([*EVENTS, EVENTS[0]], LESSEES, PARAMS)
    figures = [(c.lease_id, c.period, c.entitled, c.granted, c.status) for c in result.claims]
    assert figures == [
        ("L1", "2025", Decimal("90000.00"), Decimal("90000.00"), ClaimStatus.DISBURSED),
        # 9,000,000 entitled; only 10,000,000 - 90,000 = 9,910,000 remains: all of it fits
        ("L2", "2025", Decimal("9000000.00"), Decimal("9000000.00"), ClaimStatus.DISBURSED),
        ("L3", "2025", Decimal("22500.00"), Decimal("22500.00"), ClaimStatus.DISBURSED),
        ("L4", "2025", Decimal("12000.00"), Decimal("12000.00"), ClaimStatus.DISBURSED),
        ("L4", "2026", Decimal("5000.00"), Decimal("5000.00"), ClaimStatus.DISBURSED),
        ("L5", "2026", Decimal("5000.00"), Decimal("5000.00"), ClaimStatus.DISBURSED),
    ]


def test_a_changed_rate_over_2025_checked_by_hand() -> None:
    result = simulate(
        EVENTS,
        LESSEES,
        PARAMS,
        {
            "beijing_financing_lease.rate": {"2025-01-01": "0.06"},
            "xiongan_robot_leasing.rate": {"2025-01-01": "0.08"},
        },
        date(2025, 1, 1),
        date(2026, 1, 1),
    )
    by_company = {c.participant_id: (c.actual, c.simulated, c.difference) for c in result.companies}
    # B1: actual 90,000 + 9,000,000; at 6 %: 108,000 + 10,800,000 = 10,908,000, cut by the
    # 10,000,000 cap to 108,000 + 9,892,000 = 10,000,000
    assert by_company["B1"] == (Decimal("9090000.00"), Decimal("10000000.00"), Decimal("910000.00"))
    # B2: 450,000 x 5 % = 22,500 -> x 6 % = 27,000 (L5 is in 2026, outside the period)
    assert by_company["B2"] == (Decimal("22500.00"), Decimal("27000.00"), Decimal("4500.00"))
    # X1: payments due in 2025: 120,000 x 10 % = 12,000 -> x 8 % = 9,600 (2026's are outside)
    assert by_company["X1"] == (Decimal("12000.00"), Decimal("9600.00"), Decimal("-2400.00"))
    assert result.actual_total == Decimal("9124500.00")
    assert result.simulated_total == Decimal("10036600.00")
    assert result.budget_difference == Decimal("912100.00")
    budgets = {(b.policy, b.period): b.difference for b in result.budgets}
    assert budgets == {
        (PolicyCode.BEIJING_FINANCING_LEASE, "2025"): Decimal("914500.00"),
        (PolicyCode.XIONGAN_ROBOT_LEASING, "2025"): Decimal("-2400.00"),
    }
    assert result.simulated_version.startswith(result.base_version + "+changed:")
    partial = next(c for c in result.simulated_claims if c.lease_id == "L2")
    assert partial.granted == Decimal("9892000.00")
    assert "beijing_financing_lease.rate = 0.06" in "\n".join(partial.explanation.lines())


def test_clawback_frees_the_budget_for_later_claims() -> None:
    events: list[RentalEvent] = [
        financing("L1", "B1", "200000000.00", "0.00", date(2025, 1, 10)),  # 10,000,000: the cap
        LeaseTerminated("L1", date(2025, 4, 1)),
        financing("L2", "B1", "100000.00", "0.00", date(2025, 5, 1)),
        LeaseTerminated("unknown", date(2025, 5, 2)),
    ]
    result = replay(events, LESSEES, PARAMS)
    assert [(c.lease_id, c.granted, c.status, c.net) for c in result.claims] == [
        ("L1", Decimal("10000000.00"), ClaimStatus.REVERSED, Decimal("0.00")),
        ("L2", Decimal("5000.00"), ClaimStatus.DISBURSED, Decimal("5000.00")),
    ]
    assert result.budgets[(PolicyCode.BEIJING_FINANCING_LEASE, "B1", "2025")].committed == 5000


def test_unknown_lessees_and_bad_periods() -> None:
    result = replay([financing("L9", "nobody", "100.00", "0.00", date(2025, 1, 2))], {}, PARAMS)
    assert result.claims == ()
    assert result.ineligible[0][1].reason.value == "unknown_participant"
    with pytest.raises(Unprocessable, match="start must come before"):
        simulate(
            EVENTS,
            LESSEES,
            PARAMS,
            {"beijing_financing_lease.rate": {"2025-01-01": 0.1}},
            date(2026, 1, 1),
            date(2025, 1, 1),
        )
    with pytest.raises(Unprocessable, match="at least one parameter"):
        simulate(EVENTS, LESSEES, PARAMS, {}, date(2025, 1, 1), date(2026, 1, 1))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["B1", "B2", "X1"]),
            st.integers(min_value=1, max_value=40_000_000_000),  # financed principal in fen
            st.integers(min_value=0, max_value=729),  # days after 2025-01-01
        ),
        max_size=25,
    )
)
def test_replay_never_grants_more_than_each_cap(leases: list[tuple[str, int, int]]) -> None:
    events: list[RentalEvent] = []
    for i, (who, fen, day) in enumerate(leases):
        on = date(2025, 1, 1) + timedelta(days=day)
        events.append(
            LeaseActivated(
                LeaseFacts(
                    f"L{i}",
                    who,
                    "financing_lease",
                    "industrial_arm",
                    Decimal(fen) / 100,
                    Decimal(0),
                    on,
                    (Payment(on, Decimal(fen) / 100),),
                )
            )
        )
    result = replay(events, LESSEES, PARAMS)
    for (policy, who, period), budget in result.budgets.items():
        claims = [
            c
            for c in result.claims
            if (c.policy, c.participant_id, c.period) == (policy, who, period)
        ]
        entitled = sum((c.entitled for c in claims), Decimal(0))
        assert budget.committed == sum((c.granted for c in claims), Decimal(0))
        assert budget.committed == min(budget.cap, entitled)
        assert budget.reserved == 0
