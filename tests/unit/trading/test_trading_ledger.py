"""The escrow ledger's rules, one movement at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from support.memory_ledger import Ledger

from datapark_kit.errors import Conflict, InvalidState, Unprocessable
from datapark_trading.settlement import ledger as lg
from datapark_trading.settlement.ledger import AccountKind, LockStatus, TxKind
from datapark_trading.terms.money import Money

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BUYER, SELLER = "buyer-1", "seller-1"
RATE = Decimal("0.025")


def D(text: str) -> Decimal:
    return Decimal(text)


def funded(amount: str = "1000.00") -> Ledger:
    ledger = Ledger()
    ledger.post(lg.deposit(tx_id=uuid4(), participant_id=BUYER, amount=Money(D(amount)), at=T0))
    return ledger


def locked(ledger: Ledger, amount: str, *, expires: timedelta = timedelta(days=30)) -> lg.Lock:
    held, tx = lg.lock(
        ledger.balances(),
        tx_id=uuid4(),
        lock_id=uuid4(),
        agreement_id=uuid4(),
        buyer_id=BUYER,
        seller_id=SELLER,
        amount=Money(D(amount)),
        fee_rate=RATE,
        at=T0,
        expires_at=T0 + expires,
    )
    ledger.post(tx)
    return held


def total(ledger: Ledger) -> Decimal:
    return sum(ledger.balances().values(), Decimal(0))


def test_deposit_moves_money_in_from_outside() -> None:
    ledger = funded("500.00")
    assert ledger.balance(lg.buyer(BUYER, "CNY")) == D("500.00")
    assert ledger.balance(lg.external("CNY")) == D("-500.00")
    assert total(ledger) == 0


def test_lock_holds_buyer_money_in_its_own_escrow_account() -> None:
    ledger = funded("1000.00")
    held = locked(ledger, "300.00")
    assert ledger.balance(lg.buyer(BUYER, "CNY")) == D("700.00")
    assert held.remaining(ledger.balances()) == D("300.00")
    assert held.status is LockStatus.HELD
    assert ledger.transactions[-1].kind is TxKind.LOCK
    assert ledger.transactions[-1].lock_id == held.id


def test_lock_beyond_available_funds_is_insufficient_funds_422() -> None:
    ledger = funded("100.00")
    with pytest.raises(Unprocessable) as short:
        locked(ledger, "100.01")
    assert short.value.status == 422
    assert short.value.code == "insufficient_funds"
    assert short.value.extra["shortfall"] == "0.01"
    assert ledger.balance(lg.buyer(BUYER, "CNY")) == D("100.00")


def test_release_pays_the_seller_less_the_fee_rounded_half_up() -> None:
    ledger = funded()
    held = locked(ledger, "333.30")  # fee 8.3325 → 8.33
    closed, tx = lg.release(held, ledger.balances(), tx_id=uuid4(), at=T0 + timedelta(days=1))
    ledger.post(tx)
    assert closed.status is LockStatus.RELEASED
    assert ledger.balance(lg.seller(SELLER, "CNY")) == D("324.97")
    assert ledger.balance(lg.venue_fee("CNY")) == D("8.33")
    assert held.remaining(ledger.balances()) == 0
    assert total(ledger) == 0


def test_fee_rounding_goes_half_up_at_the_cent() -> None:
    assert lg.fee_of(D("100.20"), RATE) == D("2.51")  # 2.505
    assert lg.fee_of(D("0.20"), RATE) == D("0.01")  # 0.005
    assert lg.fee_of(D("0.19"), RATE) == D("0.00")  # 0.00475
    assert lg.fee_of(D("100.00"), D("0")) == D("0.00")


def test_metered_claims_take_increments_then_release_pays_the_rest() -> None:
    ledger = funded()
    held = locked(ledger, "100.00")
    for amount in ("10.00", "25.50", "4.50"):
        ledger.post(lg.claim(held, ledger.balances(), tx_id=uuid4(), amount=D(amount), at=T0))
    assert held.remaining(ledger.balances()) == D("60.00")
    paid = ledger.balance(lg.seller(SELLER, "CNY")) + ledger.balance(lg.venue_fee("CNY"))
    assert paid == D("40.00")
    closed, tx = lg.release(held, ledger.balances(), tx_id=uuid4(), at=T0)
    ledger.post(tx)
    assert ledger.balance(lg.seller(SELLER, "CNY")) + ledger.balance(lg.venue_fee("CNY")) == D(
        "100.00"
    )
    assert closed.status is LockStatus.RELEASED


def test_claim_beyond_the_lock_is_refused_and_nothing_moves() -> None:
    ledger = funded()
    held = locked(ledger, "50.00")
    before = ledger.balances()
    with pytest.raises(Unprocessable) as over:
        lg.claim(held, before, tx_id=uuid4(), amount=D("50.01"), at=T0)
    assert over.value.code == "lock_exceeded"
    assert ledger.balances() == before


@pytest.mark.parametrize("amount", [D("0"), D("-1.00"), D("1.005")])
def test_claim_amount_must_be_positive_cents(amount: Decimal) -> None:
    ledger = funded()
    held = locked(ledger, "50.00")
    with pytest.raises(Unprocessable):
        lg.claim(held, ledger.balances(), tx_id=uuid4(), amount=amount, at=T0)


def test_refund_returns_what_is_left_to_the_buyer() -> None:
    ledger = funded("200.00")
    held = locked(ledger, "120.00")
    ledger.post(lg.claim(held, ledger.balances(), tx_id=uuid4(), amount=D("20.00"), at=T0))
    closed, tx = lg.refund(
        held, ledger.balances(), tx_id=uuid4(), at=T0, reason="agreement terminated by consumer"
    )
    ledger.post(tx)
    assert closed.status is LockStatus.REFUNDED
    assert closed.close_reason == "agreement terminated by consumer"
    assert ledger.balance(lg.buyer(BUYER, "CNY")) == D("180.00")
    assert total(ledger) == 0


def test_a_closed_lock_pays_out_once() -> None:
    ledger = funded()
    held = locked(ledger, "100.00")
    closed, tx = lg.release(held, ledger.balances(), tx_id=uuid4(), at=T0)
    ledger.post(tx)
    for attempt in (
        lambda: lg.release(closed, ledger.balances(), tx_id=uuid4(), at=T0),
        lambda: lg.refund(closed, ledger.balances(), tx_id=uuid4(), at=T0, reason="x"),
        lambda: lg.claim(closed, ledger.balances(), tx_id=uuid4(), amount=D("1.00"), at=T0),
    ):
        with pytest.raises(InvalidState) as again:
            attempt()
        assert again.value.extra["state"] == "released"


def test_release_of_a_fully_claimed_lock_closes_it_without_a_transaction() -> None:
    ledger = funded()
    held = locked(ledger, "10.00")
    ledger.post(lg.claim(held, ledger.balances(), tx_id=uuid4(), amount=D("10.00"), at=T0))
    closed, tx = lg.release(held, ledger.balances(), tx_id=uuid4(), at=T0)
    assert tx is None
    assert closed.status is LockStatus.RELEASED


def test_an_expired_lock_can_only_be_refunded() -> None:
    ledger = funded()
    held = locked(ledger, "100.00", expires=timedelta(days=1))
    late = T0 + timedelta(days=1)
    with pytest.raises(InvalidState) as refused:
        lg.release(held, ledger.balances(), tx_id=uuid4(), at=late)
    assert refused.value.extra["state"] == "expired"
    with pytest.raises(InvalidState):
        lg.claim(held, ledger.balances(), tx_id=uuid4(), amount=D("1.00"), at=late)
    with pytest.raises(InvalidState):
        lg.expire(held, ledger.balances(), tx_id=uuid4(), now=late - timedelta(seconds=1))
    closed, tx = lg.expire(held, ledger.balances(), tx_id=uuid4(), now=late)
    ledger.post(tx)
    assert closed.status is LockStatus.REFUNDED
    assert closed.close_reason is not None
    assert closed.close_reason.startswith("lock expired at")
    assert ledger.balance(lg.buyer(BUYER, "CNY")) == D("1000.00")


@pytest.mark.parametrize(
    ("seller_id", "fee_rate", "expires_at", "amount"),
    [
        (BUYER, RATE, T0 + timedelta(days=1), "10.00"),  # trading with itself
        (SELLER, D("0.6"), T0 + timedelta(days=1), "10.00"),  # fee rate out of range
        (SELLER, D("-0.01"), T0 + timedelta(days=1), "10.00"),
        (SELLER, RATE, T0, "10.00"),  # expires when made
        (SELLER, RATE, T0 + timedelta(days=1), "0.00"),  # nothing to lock
    ],
)
def test_lock_parameters_are_checked(
    seller_id: str, fee_rate: Decimal, expires_at: datetime, amount: str
) -> None:
    ledger = funded()
    with pytest.raises(Unprocessable):
        lg.lock(
            ledger.balances(),
            tx_id=uuid4(),
            lock_id=uuid4(),
            agreement_id=uuid4(),
            buyer_id=BUYER,
            seller_id=seller_id,
            amount=Money(D(amount)),
            fee_rate=fee_rate,
            at=T0,
            expires_at=expires_at,
        )


def test_withdrawals_leave_through_the_external_account_within_the_balance() -> None:
    ledger = funded("100.00")
    account = lg.buyer(BUYER, "CNY")
    with pytest.raises(Unprocessable) as short:
        lg.withdraw(ledger.balances(), tx_id=uuid4(), account=account, amount=D("100.01"), at=T0)
    assert short.value.code == "insufficient_funds"
    ledger.post(
        lg.withdraw(ledger.balances(), tx_id=uuid4(), account=account, amount=D("40.00"), at=T0)
    )
    assert ledger.balance(account) == D("60.00")
    assert ledger.balance(lg.external("CNY")) == D("-60.00")
    with pytest.raises(Unprocessable):
        lg.withdraw(
            ledger.balances(),
            tx_id=uuid4(),
            account=lg.escrow(uuid4(), "CNY"),
            amount=D("1.00"),
            at=T0,
        )
    with pytest.raises(Unprocessable) as seller_short:
        lg.withdraw(
            ledger.balances(),
            tx_id=uuid4(),
            account=lg.seller(SELLER, "CNY"),
            amount=D("1.00"),
            at=T0,
        )
    assert seller_short.value.code == "insufficient_balance"


def test_transactions_must_balance() -> None:
    a, b = lg.buyer("x", "CNY"), lg.external("CNY")
    with pytest.raises(lg.UnbalancedTransaction):
        lg.Transaction(
            uuid4(), TxKind.DEPOSIT, (lg.Entry(a, D("1.00")), lg.Entry(b, D("-0.99"))), T0
        )
    with pytest.raises(lg.UnbalancedTransaction):
        lg.Transaction(uuid4(), TxKind.DEPOSIT, (lg.Entry(a, D("1.00")),), T0)
    with pytest.raises(lg.UnbalancedTransaction):
        lg.Transaction(
            uuid4(), TxKind.DEPOSIT, (lg.Entry(a, D("0.005")), lg.Entry(b, D("-0.005"))), T0
        )


def test_posting_refuses_what_breaks_a_floor_and_duplicates() -> None:
    ledger = funded("10.00")
    overdraw = lg.Transaction(
        uuid4(),
        TxKind.WITHDRAWAL,
        (lg.Entry(lg.buyer(BUYER, "CNY"), D("-10.01")), lg.Entry(lg.external("CNY"), D("10.01"))),
        T0,
    )
    with pytest.raises(Unprocessable):
        ledger.post(overdraw)
    with pytest.raises(Conflict):
        ledger.post(ledger.transactions[0])
    assert len(ledger.transactions) == 1


def test_floors_per_account_kind() -> None:
    assert lg.external("CNY").floor is None
    for kind in (AccountKind.BUYER, AccountKind.ESCROW, AccountKind.SELLER, AccountKind.VENUE_FEE):
        assert lg.Account(kind, "h", "CNY").floor == 0
