"""Cross-service invariants and the rebuild, on events held in memory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from datapark_audit.invariants import check
from datapark_audit.log import Event
from datapark_audit.rebuild import budget_use, rebuild
from datapark_audit.report import figures, render
from datapark_audit.verify import VerifyResult

T0 = datetime(2026, 3, 1, tzinfo=UTC)
_n = [0]


def ev(event_type: str, subject: Any, data: dict[str, Any], seconds: int = 0) -> Event:
    _n[0] += 1
    return Event(
        id=str(uuid.uuid4()),
        type=event_type,
        subject=str(subject),
        time=T0 + timedelta(seconds=seconds),
        aggseq=1,
        eventhash="h",
        data=data,
        topic="t",
        partition=0,
        offset=_n[0],
    )


def person(pid: uuid.UUID, status: str = "active", region: str = "110105", at: int = 0) -> Event:
    return ev(
        "datapark.catalog.participant.registered.v1",
        pid,
        {"participant_id": str(pid), "status": status, "region_code": region, "name": "甲"},
        at,
    )


def lease(lease_id: uuid.UUID, lessee: uuid.UUID, at: int = 1) -> Event:
    return ev(
        "datapark.rental.lease.activated.v1",
        lease_id,
        {
            "lease_id": str(lease_id),
            "lessee_participant_id": str(lessee),
            "lessor_participant_id": str(lessee),
            "state": "active",
            "financed_principal": "900000.00",
        },
        at,
    )


def claim(holder: uuid.UUID, lease_id: uuid.UUID, at: int = 2, **extra: Any) -> Event:
    claim_id = uuid.uuid4()
    return ev(
        "datapark.subsidy.claim.created.v1",
        claim_id,
        {
            "claim_id": str(claim_id),
            "participant_id": str(holder),
            "lease_id": str(lease_id),
            "policy": "beijing_financing_lease",
            "entitled": "9000.00",
            **extra,
        },
        at,
    )


def kinds(events: list[Event]) -> list[str]:
    return [f.check for f in check(events)]


def test_a_claim_must_follow_an_activated_lease_of_its_holder_in_the_region() -> None:
    holder, other, lease_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    base = [person(holder), person(other), lease(lease_id, holder)]
    assert kinds([*base, claim(holder, lease_id)]) == []
    assert kinds([*base, claim(holder, uuid.uuid4())]) == ["claim_without_lease"]
    assert kinds([*base, claim(other, lease_id)]) == ["claim_lessee"]
    early = claim(holder, lease_id, at=0)
    assert kinds([person(holder), early, lease(lease_id, holder)]) == ["claim_without_lease"]
    fujian = [person(holder, region="350100"), lease(lease_id, holder)]
    assert kinds([*fujian, claim(holder, lease_id)]) == ["claim_region"]


def test_a_claim_amount_recomputes_from_its_recorded_parameters() -> None:
    holder, lease_id = uuid.uuid4(), uuid.uuid4()
    base = [person(holder), lease(lease_id, holder)]
    right = {"base": "900000.00", "rate": "0.01"}
    assert kinds([*base, claim(holder, lease_id, parameters=right)]) == []
    wrong = {"base": "900000.00", "rate": "0.02"}
    assert kinds([*base, claim(holder, lease_id, parameters=wrong)]) == ["claim_amount"]


def test_budgets_stay_within_their_cap() -> None:
    holder = uuid.uuid4()

    def entry(reserved: str, committed: str) -> Event:
        return ev(
            "datapark.subsidy.budget.entry_recorded.v1",
            "b1",
            {
                "budget_id": "b1",
                "participant_id": str(holder),
                "policy": "beijing_financing_lease",
                "cap": "1000.00",
                "reserved": reserved,
                "committed": committed,
            },
            1,
        )

    assert kinds([person(holder), entry("400.00", "600.00")]) == []
    assert kinds([person(holder), entry("401.00", "600.00")]) == ["budget_overspent"]
    state = rebuild([person(holder), entry("400.00", "600.00")])
    assert budget_use(state)[0]["committed"] == "600.00"


def escrow(
    fact: str,
    amount: str,
    remaining: str,
    seller: str | None = None,
    fee: str | None = None,
    at: int = 1,
) -> Event:
    return ev(
        f"datapark.trading.agreement.escrow_{fact}.v1",
        "a1",
        {
            "agreement_id": "a1",
            "lock_id": "l1",
            "amount": {"amount": amount, "currency": "CNY"},
            "lock_remaining": {"amount": remaining, "currency": "CNY"},
            "seller_amount": {"amount": seller, "currency": "CNY"} if seller else None,
            "fee_amount": {"amount": fee, "currency": "CNY"} if fee else None,
        },
        at,
    )


def transfer(state: str, at: int) -> Event:
    return ev(
        "datapark.trading.transfer.completed.v1", "t1", {"agreement_id": "a1", "state": state}, at
    )


def test_escrow_balances_and_settles_only_after_a_confirmed_transfer() -> None:
    locked = escrow("locked", "100.00", "100.00")
    released = escrow("released", "100.00", "0.00", "95.00", "5.00", at=3)
    assert kinds([locked, transfer("COMPLETED", 2), released]) == []
    assert kinds([locked, transfer("STARTED", 2), released]) == ["settled_without_transfer"]
    lopsided = escrow("released", "100.00", "0.00", "95.00", "4.00", at=3)
    assert kinds([locked, transfer("COMPLETED", 2), lopsided]) == ["escrow_ledger"]
    leaky = escrow("released", "90.00", "0.00", "85.00", "5.00", at=3)
    assert kinds([locked, transfer("COMPLETED", 2), leaky]) == ["escrow_balance"]
    state = rebuild([locked, released])
    agreement = state.aggregates[("trading", "a1")]
    assert agreement.derived["escrow"]["l1"] == {
        "locked": "100.00",
        "claimed": "0.00",
        "released": "100.00",
        "refunded": "0.00",
        "remaining": "0.00",
    }


def booking(subject: str, unit: str, status: str, start: int, end: int, at: int) -> Event:
    return ev(
        f"datapark.rental.booking.{status}.v1",
        subject,
        {
            "status": status,
            "unit_ids": [unit],
            "reserved_from": (T0 + timedelta(hours=start)).isoformat(),
            "reserved_until": (T0 + timedelta(hours=end)).isoformat(),
        },
        at,
    )


def test_confirmed_bookings_of_one_unit_never_overlap() -> None:
    a = booking("b1", "u1", "confirmed", 0, 10, 1)
    assert kinds([a, booking("b2", "u1", "confirmed", 10, 20, 2)]) == []
    assert kinds([a, booking("b2", "u1", "confirmed", 5, 15, 2)]) == ["booking_overlap"]
    assert kinds([a, booking("b2", "u2", "confirmed", 5, 15, 2)]) == []
    cancelled = booking("b1", "u1", "cancelled", 0, 10, 2)
    assert kinds([a, cancelled, booking("b2", "u1", "confirmed", 5, 15, 3)]) == []


def test_named_participants_existed_and_were_active() -> None:
    holder, lease_id = uuid.uuid4(), uuid.uuid4()
    assert kinds([lease(lease_id, holder)]) == ["participant_unknown", "participant_unknown"]
    pending = [person(holder, status="pending"), lease(lease_id, holder)]
    findings = check([*pending, claim(holder, lease_id, at=3)])
    assert [f.check for f in findings] == ["participant_inactive"]
    assert findings[0].offset is not None


def test_as_of_leaves_out_later_events() -> None:
    holder = uuid.uuid4()
    late = person(holder, status="suspended", at=100)
    state = rebuild([person(holder), late], as_of=T0 + timedelta(seconds=50))
    assert state.aggregates[("catalog", str(holder))].state["status"] == "active"
    assert (
        rebuild([person(holder), late]).aggregates[("catalog", str(holder))].state["status"]
        == "suspended"
    )


def test_the_report_is_self_contained_and_draws_every_chart() -> None:
    holder, lease_id = uuid.uuid4(), uuid.uuid4()
    events = [
        person(holder),
        lease(lease_id, holder),
        ev(
            "datapark.subsidy.budget.entry_recorded.v1",
            "b1",
            {
                "participant_id": str(holder),
                "policy": "p",
                "period": "2026",
                "cap": "10.00",
                "reserved": "1.00",
                "committed": "2.00",
            },
        ),
        ev("datapark.trading.order.placed.v1", "o1", {"agreement_id": "a1", "venue_code": "BJDEX"}),
        escrow("released", "100.00", "0.00", "95.00", "5.00", at=3),
    ]
    html = render(VerifyResult(), [], figures(events))
    assert html.count("<svg") == 4
    for colour in ("#2b6cb0", "#2f855a", "#b7791f", "#c53030"):
        assert colour in html
    assert "<script" not in html
    assert 'src="http' not in html
    assert 'href="http' not in html
    empty = render(VerifyResult(), None, figures([]))
    assert empty.count("<svg") == 0
    assert "no data in this log" in empty


def test_the_lease_book_carries_balances() -> None:
    holder, lease_id = uuid.uuid4(), uuid.uuid4()
    activated = lease(lease_id, holder)
    due = ev(
        "datapark.rental.lease.installment_fell_due.v1",
        lease_id,
        {"lease_id": str(lease_id), "period": 1, "amount": "904500.00"},
        2,
    )
    paid = ev(
        "datapark.rental.lease.payment_received.v1",
        lease_id,
        {
            "lease_id": str(lease_id),
            "amount": "500000.00",
            "allocations": [
                {"period": 1, "component": "interest", "amount": "4500.00"},
                {"period": 1, "component": "principal", "amount": "495500.00"},
            ],
        },
        3,
    )
    book = rebuild([person(holder), activated, due, paid]).aggregates[("rental", str(lease_id))]
    assert book.derived["principal_outstanding"] == "404500.00"
    assert book.derived["due_unpaid"] == "904500.00"
    assert book.derived["paid"] == "500000.00"
    assert book.state["state"] == "active"
    assert "allocations" not in book.state  # a fact moves the figures, not the snapshot


RATE_STEPS = [
    "5. financed principal = cost 1000000.00 - down payment 100000.00 = 900000.00",
    "6. amount = 900000.00 x rate 0.05 = 45000.00 [beijing_financing_lease.rate = 0.05 "
    "(in force from 2025-01-01)], rounded half-up to the fen",
]
COST_STEPS = [
    "6. installment 1 due 2025-04-01, paid 2025-04-01: min(interest 4500.00 + fees 0.00 = "
    "4500.00, opening balance 900000.00 x 0.05 / 12 = 3750.00) = 3750.00",
    "7. installment 2 due 2025-05-01, paid 2025-05-01: min(interest 3000.00 + fees 0.00 = "
    "3000.00, opening balance 600000.00 x 0.05 / 12 = 2500.00) = 2500.00",
    "8. amount for 2025 = 6250.00 [beijing_financing_lease.rate = 0.05 (in force from 2025-01-01)]",
]


def test_claim_amounts_recompute_from_the_steps_they_record() -> None:
    from decimal import Decimal

    from datapark_audit.invariants import recompute_claim

    principal = Decimal("900000.00")
    assert recompute_claim({"entitled": "45000.00", "explanation": RATE_STEPS}, principal) is None
    assert "45001.00" in str(
        recompute_claim({"entitled": "45001.00", "explanation": RATE_STEPS}, principal)
    )
    assert "lease in the log finances 800000.00" in str(
        recompute_claim({"entitled": "45000.00", "explanation": RATE_STEPS}, Decimal("800000.00"))
    )
    wrong_step = [RATE_STEPS[0], RATE_STEPS[1].replace("= 45000.00", "= 46000.00")]
    assert "not 46000.00" in str(
        recompute_claim({"entitled": "46000.00", "explanation": wrong_step}, principal)
    )
    assert recompute_claim({"entitled": "6250.00", "explanation": COST_STEPS}, None) is None
    padded = [*COST_STEPS[:2], COST_STEPS[2].replace("6250.00", "7250.00")]
    assert "add up to 6250.00" in str(
        recompute_claim({"entitled": "7250.00", "explanation": padded}, None)
    )
    capped = [COST_STEPS[0].replace("= 3750.00) = 3750.00", "= 3750.00) = 4500.00"), COST_STEPS[2]]
    assert "min(4500.00, 3750.00) is not 4500.00" in str(
        recompute_claim({"entitled": "6250.00", "explanation": capped}, None)
    )
    assert (
        recompute_claim({"entitled": "1.00", "explanation": ["no amount recorded"]}, None) is None
    )
