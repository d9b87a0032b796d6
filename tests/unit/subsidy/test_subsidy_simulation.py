"""Replay and what-if: figures checked by hand.

Most leases here use the earlier ``financed_principal`` reading of the Beijing rate (kept
selectable as data) so that the figures stay round; the rate-support reading and the accrual
rules (paid instalments only, year by year, late payments, ends) have tests of their own.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datapark_kit.errors import Unprocessable
from datapark_subsidy.claims.states import ClaimStatus
from datapark_subsidy.simulations.replay import (
    LeaseActivated,
    LeaseEnded,
    LeaseTerminated,
    ReceivablePaid,
    RentalEvent,
    replay,
    simulate,
)
from datapark_subsidy.terms.assessment import LeaseFacts, Lessee, Receivable
from datapark_subsidy.terms.parameters import load_parameters
from datapark_subsidy.terms.policies import PolicyCode

PARAMS = load_parameters().with_overrides(
    {"beijing_financing_lease.basis": {"2025-01-01": "financed_principal"}}
)
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
            tuple(
                Receivable("installment", i, d, Decimal(a), paid_on=d)
                for i, (d, a) in enumerate(payments, start=1)
            ),
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
    result = replay([*EVENTS[:4], EVENTS[0], EVENTS[4]], LESSEES, PARAMS)
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


def test_an_early_termination_draws_nothing_or_gives_back_what_it_drew() -> None:
    events: list[RentalEvent] = [
        # 10,000,000.00 would fill the cap, but the lease ends within its year: never drawn
        financing("L1", "B1", "200000000.00", "0.00", date(2025, 1, 10)),
        LeaseTerminated("L1", date(2025, 4, 1)),
        financing("L2", "B1", "100000.00", "0.00", date(2025, 5, 1)),
        LeaseTerminated("unknown", date(2025, 5, 2)),
        financing("L3", "B1", "1000000.00", "0.00", date(2025, 6, 1)),
        # drawn at the end of 2025, then terminated within 365 days: clawed back
        LeaseTerminated("L3", date(2026, 1, 5)),
    ]
    result = replay(events, LESSEES, PARAMS)
    assert [(c.lease_id, c.granted, c.status, c.net) for c in result.claims] == [
        ("L2", Decimal("5000.00"), ClaimStatus.DISBURSED, Decimal("5000.00")),
        ("L3", Decimal("50000.00"), ClaimStatus.REVERSED, Decimal("0.00")),
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
                    (Receivable("installment", 1, on, Decimal(fen) / 100, paid_on=on),),
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


SHIPPED = load_parameters()


def _unpaid(lease_id: str, who: str, on: date, *payments: tuple[date, str]) -> LeaseActivated:
    return LeaseActivated(
        LeaseFacts(
            lease_id,
            who,
            "long_term",
            "amr",
            Decimal(0),
            Decimal(0),
            on,
            tuple(
                Receivable("installment", i, d, Decimal(a))
                for i, (d, a) in enumerate(payments, start=1)
            ),
        )
    )


def test_a_year_settles_at_its_end_and_a_late_payment_adds_a_late_claim() -> None:
    events: list[RentalEvent] = [
        _unpaid(
            "L1",
            "X1",
            date(2025, 10, 1),
            (date(2025, 11, 1), "10000.00"),
            (date(2025, 12, 1), "10000.00"),
            (date(2026, 1, 1), "10000.00"),
        ),
        ReceivablePaid("L1", "installment", 1, date(2025, 11, 1)),
        # December's instalment is paid late, on 5 January, after 2025 was settled
        ReceivablePaid("L1", "installment", 3, date(2026, 1, 2)),
        ReceivablePaid("L1", "installment", 2, date(2026, 1, 5)),
    ]
    result = replay(events, LESSEES, SHIPPED, as_of=date(2026, 6, 30))
    assert [(c.period, c.basis, c.entitled, c.earned_on) for c in result.claims] == [
        ("2025", "schedule", Decimal("1000.00"), date(2026, 1, 1)),
        ("2025", "late:2", Decimal("1000.00"), date(2026, 1, 1)),
    ]  # 2026's 1,000.00 is still accruing on 30 June 2026: not a claim yet
    assert "already claimed for 2025: 1000.00" in "\n".join(result.claims[1].explanation.lines())
    everything = replay(events, LESSEES, SHIPPED)
    assert [(c.period, c.entitled) for c in everything.claims][-1] == ("2026", Decimal("1000.00"))


def test_a_termination_within_the_period_stops_accrual_and_draws_nothing_more() -> None:
    events: list[RentalEvent] = [
        _unpaid("L1", "X1", date(2025, 3, 1), (date(2025, 4, 1), "10000.00")),
        ReceivablePaid("L1", "installment", 1, date(2025, 4, 1)),
        LeaseEnded("L1", date(2025, 6, 1), "terminated"),
        _unpaid("L2", "X1", date(2025, 3, 1), (date(2025, 4, 1), "10000.00")),
        ReceivablePaid("L2", "installment", 1, date(2025, 4, 1)),
        LeaseEnded("L2", date(2025, 6, 1), "bought_out"),
    ]
    result = replay(sorted(events, key=lambda e: e.on), LESSEES, SHIPPED)
    # L1 was terminated within 365 days: it draws nothing; L2's buyout does not claw back,
    # and its 2025 claim is earned on the buyout day
    assert [(c.lease_id, c.entitled, c.earned_on, c.status) for c in result.claims] == [
        ("L2", Decimal("1000.00"), date(2025, 6, 1), ClaimStatus.DISBURSED)
    ]


def test_what_if_runs_year_by_year_so_unearned_years_do_not_inflate_the_budget() -> None:
    # rate support at 6 % on 12,000.00 equal principal (openings 12,000 / 8,000 / 4,000)
    schedule = (
        Receivable(
            "installment",
            1,
            date(2025, 11, 1),
            Decimal("4060.00"),
            Decimal("60.00"),
            Decimal(0),
            Decimal("12000.00"),
        ),
        Receivable(
            "installment",
            2,
            date(2025, 12, 1),
            Decimal("4040.00"),
            Decimal("40.00"),
            Decimal(0),
            Decimal("8000.00"),
        ),
        Receivable(
            "installment",
            3,
            date(2026, 1, 1),
            Decimal("4020.00"),
            Decimal("20.00"),
            Decimal(0),
            Decimal("4000.00"),
        ),
    )
    lease = LeaseFacts(
        "L1",
        "B1",
        "financing_lease",
        "industrial_arm",
        Decimal("12000.00"),
        Decimal(0),
        date(2025, 10, 1),
        schedule,
    )
    events: list[RentalEvent] = [
        LeaseActivated(lease),
        ReceivablePaid("L1", "installment", 1, date(2025, 11, 1)),
        # instalment 2 is never paid; instalment 3 falls due in 2026
        ReceivablePaid("L1", "installment", 3, date(2026, 1, 1)),
    ]
    result = simulate(
        events,
        LESSEES,
        SHIPPED,
        {"beijing_financing_lease.rate": {"2025-01-01": "0.04"}},
        date(2025, 1, 1),
        date(2026, 1, 1),
    )
    # 2025 only, paid only: min(60.00, 50.00) = 50.00 at 5 %; min(60.00, 40.00) = 40.00 at 4 %
    # (the old reading would have promised 12,000.00 x 5 % = 600.00 at once)
    assert [(c.actual, c.simulated) for c in result.companies] == [
        (Decimal("50.00"), Decimal("40.00"))
    ]
    assert [(b.period, b.actual) for b in result.budgets] == [("2025", Decimal("50.00"))]


def test_a_lease_of_an_unknown_lessee_that_ends_is_reported_not_a_crash() -> None:
    # A lease can arrive before its lessee (or its lessee is no company): its end, a payment
    # and the final settlement must pass it by, as its activation reports it ineligible.
    lease = rental("L9", "nobody", date(2025, 1, 1), (date(2025, 6, 1), "120000.00"))
    events: list[RentalEvent] = [
        lease,
        ReceivablePaid("L9", "installment", 1, date(2025, 6, 1)),
        LeaseEnded("L9", date(2025, 7, 1), "bought_out"),
        LeaseTerminated("L9", date(2025, 8, 1)),
    ]
    result = replay(events, LESSEES, PARAMS)
    assert result.claims == ()
    assert [(lease_id, i.reason.value) for lease_id, i in result.ineligible] == [
        ("L9", "unknown_participant")
    ]
    what_if = simulate(
        [*EVENTS[:4], *events],
        LESSEES,
        PARAMS,
        {"xiongan_robot_leasing.rate": {"2025-01-01": "0.08"}},
        date(2025, 1, 1),
        date(2026, 1, 1),
    )
    assert "nobody" not in {c.participant_id for c in what_if.companies}
    assert {c.participant_id for c in what_if.companies} == {"B1", "B2", "X1"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        (
            {"no_such.parameter": {"2025-01-01": "1"}},
            "changes.no_such.parameter",
            "invalid_parameter",
        ),
        (
            {"beijing_financing_lease.rate": {"2025-01-01": "five"}},
            "changes.beijing_financing_lease.rate.2025-01-01",
            "invalid_parameter",
        ),
        (
            {"beijing_financing_lease.rate": {"2025-13-01": "0.06"}},
            "changes.beijing_financing_lease.rate",
            "invalid_parameter",
        ),
        (
            {"beijing_financing_lease.annual_cap": {"2025-01-01": None}},
            "changes.beijing_financing_lease.annual_cap",
            "parameter_not_in_force",
        ),
    ],
)
def test_a_bad_change_is_a_422_naming_the_changes_field(
    changes: dict[str, dict[str, object]], field: str, code: str
) -> None:
    with pytest.raises(Unprocessable) as raised:
        simulate(EVENTS, LESSEES, PARAMS, changes, date(2025, 1, 1), date(2026, 1, 1))
    assert raised.value.code == code
    assert raised.value.extra["errors"][0]["field"] == field
