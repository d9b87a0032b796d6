"""The transfer process, its access grant, automatic confirmation and metered use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_trading.terms import agreement as ag
from datapark_trading.terms.agreement import Agreement
from datapark_trading.terms.money import Money
from datapark_trading.terms.parties import Party
from datapark_trading.terms.pricing import Metered, MeterUnit
from datapark_trading.transfers import states as tr
from datapark_trading.transfers.metering import (
    COUNTER_MAX,
    UsageMeter,
    UsageReport,
    megabytes,
    record,
)
from datapark_trading.transfers.states import ConfirmedBy, Transfer, TransferState

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TS = TransferState
C, P = Party.CONSUMER, Party.PROVIDER
TOKEN = "t" * 43
ENDPOINT = "https://data.example.cn/v1/feeds/credit"
CONFIRM_AFTER = timedelta(days=7)


def requested(agreement: Agreement) -> Transfer:
    return tr.request(
        transfer_id=uuid4(), agreement=agreement, by=C, at=T0, confirm_after=CONFIRM_AFTER
    )


def started(agreement: Agreement, ttl: timedelta = timedelta(days=30)) -> Transfer:
    return tr.start(
        requested(agreement),
        agreement=agreement,
        by=P,
        token=TOKEN,
        endpoint=ENDPOINT,
        at=T0 + timedelta(hours=1),
        grant_ttl=ttl,
    )


def in_state(state: TransferState, agreement: Agreement) -> Transfer:
    if state is TS.REQUESTED:
        return requested(agreement)
    t = started(agreement)
    at = T0 + timedelta(hours=2)
    if state is TS.SUSPENDED:
        return tr.suspend(t, reason="provider maintenance", at=at)
    if state is TS.COMPLETED:
        return tr.confirm(t, by=C, at=at)
    if state is TS.TERMINATED:
        return tr.terminate(t, by=C, reason="wrong dataset", at=at)
    return t


def test_the_whole_delivery(agreement: Agreement) -> None:
    t = requested(agreement)
    assert t.state is TS.REQUESTED
    assert t.grant is None
    t = tr.start(
        t,
        agreement=agreement,
        by=P,
        token=TOKEN,
        endpoint=ENDPOINT,
        at=T0,
        grant_ttl=timedelta(days=30),
    )
    assert t.state is TS.STARTED
    assert t.grant is not None
    assert t.grant.expires_at == T0 + timedelta(days=30)
    assert t.require_usable(T0 + timedelta(days=1)) is t.grant
    t = tr.suspend(t, reason="provider maintenance", at=T0 + timedelta(days=1))
    with pytest.raises(InvalidState) as paused:
        t.require_usable(T0 + timedelta(days=1))
    assert "provider maintenance" in paused.value.detail
    t = tr.resume(t, agreement=agreement, at=T0 + timedelta(days=2))
    assert t.state is TS.STARTED
    assert t.suspension is None
    t = tr.confirm(t, by=C, at=T0 + timedelta(days=3))
    assert t.state is TS.COMPLETED
    assert t.confirmation == tr.Confirmation(ConfirmedBy.CONSUMER, T0 + timedelta(days=3))


OPERATIONS = ["start", "suspend", "resume", "confirm", "terminate"]
ALLOWED = {
    "start": {TS.REQUESTED},
    "suspend": {TS.STARTED},
    "resume": {TS.SUSPENDED},
    "confirm": {TS.STARTED},
    "terminate": {TS.REQUESTED, TS.STARTED, TS.SUSPENDED},
}
TARGET = {
    "start": TS.STARTED,
    "suspend": TS.SUSPENDED,
    "resume": TS.STARTED,
    "confirm": TS.COMPLETED,
    "terminate": TS.TERMINATED,
}


def operate(t: Transfer, op: str, agreement: Agreement, at: datetime) -> Transfer:
    if op == "start":
        return tr.start(
            t,
            agreement=agreement,
            by=P,
            token=TOKEN,
            endpoint=ENDPOINT,
            at=at,
            grant_ttl=timedelta(days=1),
        )
    if op == "suspend":
        return tr.suspend(t, reason="maintenance", at=at)
    if op == "resume":
        return tr.resume(t, agreement=agreement, at=at)
    if op == "confirm":
        return tr.confirm(t, by=C, at=at)
    return tr.terminate(t, by=P, reason="stop", at=at)


@pytest.mark.parametrize("state", list(TS))
@pytest.mark.parametrize("op", OPERATIONS)
def test_every_state_allows_exactly_the_listed_moves(
    state: TransferState, op: str, agreement: Agreement
) -> None:
    t = in_state(state, agreement)
    at = T0 + timedelta(hours=3)
    if state in ALLOWED[op]:
        assert operate(t, op, agreement, at).state is TARGET[op]
    else:
        with pytest.raises(InvalidState) as refused:
            operate(t, op, agreement, at)
        assert refused.value.extra == {"state": state.value, "action": op}


def test_only_the_right_side_takes_each_step(agreement: Agreement) -> None:
    with pytest.raises(Forbidden):
        tr.request(
            transfer_id=uuid4(), agreement=agreement, by=P, at=T0, confirm_after=CONFIRM_AFTER
        )
    with pytest.raises(Forbidden):
        tr.start(
            requested(agreement),
            agreement=agreement,
            by=C,
            token=TOKEN,
            endpoint=ENDPOINT,
            at=T0,
            grant_ttl=timedelta(days=1),
        )
    with pytest.raises(Forbidden):
        tr.confirm(started(agreement), by=P, at=T0 + timedelta(hours=2))


def test_termination_revokes_the_grant(agreement: Agreement) -> None:
    at = T0 + timedelta(hours=5)
    ended = tr.terminate(started(agreement), by=None, reason="listing delisted", at=at)
    assert ended.grant is not None
    assert ended.grant.revoked_at == at
    assert not ended.grant.is_valid(at)
    assert ended.termination is not None
    assert ended.termination.reason == "listing delisted"
    with pytest.raises(InvalidState) as gone:
        ended.require_usable(at)
    assert gone.value.extra["state"] == "TERMINATED"
    with pytest.raises(InvalidState) as revoked:
        ended.grant.require_valid(at)
    assert revoked.value.extra["state"] == "revoked"
    with pytest.raises(InvalidState) as again:
        tr.confirm(ended, by=C, at=at)
    assert "listing delisted" in again.value.detail


def test_the_grant_never_outlives_the_agreement(make_agreement, make_terms) -> None:
    short = make_agreement(make_terms(duration=timedelta(days=10)))
    t = started(short, ttl=timedelta(days=90))
    assert t.grant is not None
    assert t.grant.expires_at == short.ends_at
    t.require_usable(short.ends_at - timedelta(seconds=1))
    with pytest.raises(InvalidState) as expired:
        t.require_usable(short.ends_at)
    assert expired.value.extra["state"] == "expired"


def test_no_delivery_under_an_agreement_that_is_not_running(agreement: Agreement) -> None:
    ended = ag.terminate(agreement, by=C, reason="cancelled", at=T0)
    with pytest.raises(InvalidState):
        requested(ended)
    t = requested(agreement)
    with pytest.raises(InvalidState):
        tr.start(
            t,
            agreement=ended,
            by=P,
            token=TOKEN,
            endpoint=ENDPOINT,
            at=T0,
            grant_ttl=timedelta(days=1),
        )
    paused = tr.suspend(started(agreement), reason="listing suspended", at=T0 + timedelta(hours=2))
    with pytest.raises(InvalidState):
        tr.resume(paused, agreement=ended, at=T0 + timedelta(hours=3))


@pytest.mark.parametrize(
    ("token", "endpoint", "ttl"),
    [
        ("short", ENDPOINT, timedelta(days=1)),
        (TOKEN, "http://plain.example.cn/feed", timedelta(days=1)),
        (TOKEN, ENDPOINT, timedelta(0)),
    ],
)
def test_grant_parameters_are_checked(
    agreement: Agreement, token: str, endpoint: str, ttl: timedelta
) -> None:
    with pytest.raises(Unprocessable):
        tr.start(
            requested(agreement),
            agreement=agreement,
            by=P,
            token=token,
            endpoint=endpoint,
            at=T0,
            grant_ttl=ttl,
        )


def test_confirmation_period_must_be_positive(agreement: Agreement) -> None:
    with pytest.raises(Unprocessable):
        tr.request(
            transfer_id=uuid4(), agreement=agreement, by=C, at=T0, confirm_after=timedelta(0)
        )


def test_receipt_is_confirmed_automatically_after_the_set_period(agreement: Agreement) -> None:
    t = started(agreement)
    due = T0 + timedelta(hours=1) + CONFIRM_AFTER
    assert t.confirm_due_at == due
    assert not tr.is_due_for_auto_confirmation(t, due - timedelta(seconds=1))
    with pytest.raises(InvalidState):
        tr.auto_confirm(t, now=due - timedelta(seconds=1))
    assert tr.is_due_for_auto_confirmation(t, due)
    done = tr.auto_confirm(t, now=due)
    assert done.state is TS.COMPLETED
    assert done.confirmation == tr.Confirmation(ConfirmedBy.AUTO, due)
    suspended = tr.suspend(t, reason="dispute", at=due - timedelta(days=1))
    assert not tr.is_due_for_auto_confirmation(suspended, due)
    assert not tr.is_due_for_auto_confirmation(requested(agreement), due)


# --- metered use --------------------------------------------------------------------------


def test_use_is_counted_until_the_limit_and_refused_past_it(make_policy, make_terms) -> None:
    policy = make_policy(max_calls=100, max_records=1000)
    pricing = make_terms().pricing
    meter = UsageMeter()
    meter = record(
        meter, UsageReport(calls=60, records=600), policy=policy, pricing=pricing, at=T0
    ).meter
    meter = record(meter, UsageReport(calls=40), policy=policy, pricing=pricing, at=T0).meter
    assert (meter.calls, meter.records) == (100, 600)
    with pytest.raises(Unprocessable) as over:
        record(meter, UsageReport(calls=1), policy=policy, pricing=pricing, at=T0)
    assert over.value.code == "usage_limit_exceeded"
    assert over.value.extra["limit"] == 100
    assert "nothing was counted" in over.value.detail
    with pytest.raises(Unprocessable) as rec:
        record(meter, UsageReport(records=401), policy=policy, pricing=pricing, at=T0)
    assert rec.value.code == "usage_limit_exceeded"
    assert (meter.calls, meter.records) == (100, 600)  # the refused reports counted nothing


def test_metered_use_is_charged_within_the_monthly_maximum(make_policy) -> None:
    pricing = Metered(
        MeterUnit.RECORD,
        unit_price=Decimal("0.02"),
        budget=Money(Decimal("100.00")),
        monthly_cap=Decimal("30.00"),
    )
    policy = make_policy()
    m1 = record(
        UsageMeter(), UsageReport(calls=1, records=1000), policy=policy, pricing=pricing, at=T0
    )
    assert m1.charge == Decimal("20.00")
    m2 = record(
        m1.meter,
        UsageReport(calls=1, records=1000),
        policy=policy,
        pricing=pricing,
        at=T0 + timedelta(days=3),
    )
    assert m2.charge == Decimal("10.00")  # capped at 30.00 for March
    assert m2.meter.month_units == 2000
    april = datetime(2026, 4, 1, tzinfo=UTC)
    m3 = record(
        m2.meter, UsageReport(calls=1, records=500), policy=policy, pricing=pricing, at=april
    )
    assert m3.charge == Decimal("10.00")  # a new month starts from nothing
    assert m3.meter.month == april
    assert m3.meter.month_units == 500
    assert m3.meter.records == 2500
    assert m3.meter.charged == Decimal("40.00")


def test_usage_reports_are_validated() -> None:
    with pytest.raises(Unprocessable):
        UsageReport()
    with pytest.raises(Unprocessable):
        UsageReport(calls=-1, records=3)
    assert megabytes(0) == 0
    assert megabytes(1) == 1
    assert megabytes(1_000_000) == 1
    assert megabytes(1_000_001) == 2
    with pytest.raises(Unprocessable):
        megabytes(-1)


def test_a_counter_past_the_integer_column_is_refused_not_overflowed(
    make_policy, make_terms
) -> None:
    """Found by the schema fuzzer: unlimited use could add up past Postgres ``integer``."""
    policy = make_policy()  # no limits
    pricing = make_terms().pricing
    meter = UsageMeter(calls=COUNTER_MAX - 1)
    meter = record(meter, UsageReport(calls=1), policy=policy, pricing=pricing, at=T0).meter
    assert meter.calls == COUNTER_MAX
    with pytest.raises(Unprocessable) as over:
        record(meter, UsageReport(calls=1), policy=policy, pricing=pricing, at=T0)
    assert over.value.code == "usage_counter_overflow"
    with pytest.raises(Unprocessable):
        record(
            UsageMeter(),
            UsageReport(megabytes=COUNTER_MAX + 1),
            policy=policy,
            pricing=pricing,
            at=T0,
        )
