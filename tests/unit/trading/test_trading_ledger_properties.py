"""Property test: random sequences of deposits, orders (locks), claims, metered use, releases,
refunds, expiries and withdrawals never unbalance the escrow ledger.

After every step: the sum over all accounts is zero; no account is below its floor; a closed
lock holds nothing; every cent the sellers and the venue hold came out of a lock; a refused step
changed nothing; metered use never passes the agreed maximum.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)
from support.memory_ledger import Ledger

from datapark_kit.errors import InvalidState, ProblemError, Unprocessable
from datapark_trading.settlement import ledger as lg
from datapark_trading.settlement.ledger import AccountKind, Lock, LockStatus
from datapark_trading.terms.money import Money
from datapark_trading.terms.policy import UsagePolicy
from datapark_trading.terms.pricing import Metered, MeterUnit
from datapark_trading.transfers.metering import UsageMeter, UsageReport, record

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PARTICIPANTS = ["p1", "p2", "p3"]
CURRENCY = "CNY"
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2)
fee_rates = st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("0.025"), Decimal("0.1")])
METER_POLICY = UsagePolicy(
    purpose="analytics",
    permitted_uses=frozenset({"analytics"}),
    territory=frozenset({"CN"}),
    duration=timedelta(days=365),
    max_calls=500,
)
METER_PRICE = Metered(
    unit=MeterUnit.CALL,
    unit_price=Decimal("0.125"),
    budget=Money(Decimal("1.00")),  # per-lock budgets are the lock amounts below
    monthly_cap=Decimal("40.00"),
)


class EscrowLedgerMachine(RuleBasedStateMachine):
    locks = Bundle("locks")

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.held: dict[UUID, Lock] = {}
        self.meters: dict[UUID, UsageMeter] = {}
        self.now = T0
        self.paid_out_of_locks = Decimal("0.00")
        self.locked_in = Decimal("0.00")
        self.refunded = Decimal("0.00")
        self.deposited = Decimal("0.00")
        self.withdrawn = Decimal("0.00")

    # --- helpers ---------------------------------------------------------------------------

    def attempt(self, make: object) -> lg.Transaction | None:
        """Run a planning step; a refusal must leave every balance as it was."""
        before = self.ledger.balances()
        try:
            tx = make()  # type: ignore[operator]
        except ProblemError:
            assert self.ledger.balances() == before
            return None
        return tx  # type: ignore[no-any-return]

    def post(self, tx: lg.Transaction | None) -> None:
        self.ledger.post(tx)
        if tx is None:
            return
        if tx.kind in (lg.TxKind.CLAIM, lg.TxKind.RELEASE):
            self.paid_out_of_locks += sum(
                (e.amount for e in tx.entries if e.account.kind is not AccountKind.ESCROW),
                Decimal(0),
            )
        elif tx.kind is lg.TxKind.REFUND:
            self.refunded += sum(
                (e.amount for e in tx.entries if e.account.kind is AccountKind.BUYER), Decimal(0)
            )

    # --- rules -------------------------------------------------------------------------------

    @rule(who=st.sampled_from(PARTICIPANTS), amount=amounts)
    def deposit(self, who: str, amount: Decimal) -> None:
        self.post(lg.deposit(tx_id=uuid4(), participant_id=who, amount=Money(amount), at=self.now))
        self.deposited += amount

    @rule(
        target=locks,
        buyer=st.sampled_from(PARTICIPANTS),
        seller=st.sampled_from(PARTICIPANTS),
        amount=amounts,
        fee_rate=fee_rates,
        days=st.integers(min_value=1, max_value=60),
    )
    def order(self, buyer: str, seller: str, amount: Decimal, fee_rate: Decimal, days: int):
        available = self.ledger.balance(lg.buyer(buyer, CURRENCY))
        refusal: str | None = None
        try:
            held, tx = lg.lock(
                self.ledger.balances(),
                tx_id=uuid4(),
                lock_id=uuid4(),
                agreement_id=uuid4(),
                buyer_id=buyer,
                seller_id=seller,
                amount=Money(amount),
                fee_rate=fee_rate,
                at=self.now,
                expires_at=self.now + timedelta(days=days),
            )
        except Unprocessable as refused:
            refusal = refused.code
        # refused exactly when funds are short or the buyer is its own seller
        if refusal is not None:
            assert amount > available or buyer == seller
            assert buyer == seller or refusal == "insufficient_funds"
            return multiple()
        assert amount <= available
        assert buyer != seller
        self.post(tx)
        self.locked_in += amount
        self.held[held.id] = held
        self.meters[held.id] = UsageMeter()
        return held.id

    @rule(lock_id=locks, amount=amounts)
    def claim(self, lock_id: UUID, amount: Decimal) -> None:
        held = self.held[lock_id]
        remaining = held.remaining(self.ledger.balances())
        tx = self.attempt(
            lambda: lg.claim(
                held, self.ledger.balances(), tx_id=uuid4(), amount=amount, at=self.now
            )
        )
        if tx is not None:
            assert held.status is LockStatus.HELD
            assert amount <= remaining
        elif held.status is LockStatus.HELD and self.now < held.expires_at:
            assert amount > remaining
        self.post(tx)

    @rule(lock_id=locks, calls=st.integers(min_value=1, max_value=120))
    def metered_use(self, lock_id: UUID, calls: int) -> None:
        """Usage is counted and its charge claimed together, or neither happens."""
        held, meter = self.held[lock_id], self.meters[lock_id]
        try:
            metering = record(
                meter,
                UsageReport(calls=calls),
                policy=METER_POLICY,
                pricing=METER_PRICE,
                at=self.now,
            )
            tx = None
            if metering.charge > 0:
                tx = lg.claim(
                    held,
                    self.ledger.balances(),
                    tx_id=uuid4(),
                    amount=metering.charge,
                    at=self.now,
                )
        except (Unprocessable, InvalidState):
            assert self.meters[lock_id] == meter
            return
        self.post(tx)
        self.meters[lock_id] = metering.meter

    @rule(lock_id=consumes(locks))
    def release(self, lock_id: UUID) -> None:
        held = self.held[lock_id]
        try:
            closed, tx = lg.release(held, self.ledger.balances(), tx_id=uuid4(), at=self.now)
        except InvalidState:
            assert held.status is not LockStatus.HELD or self.now >= held.expires_at
            return
        self.post(tx)
        self.held[lock_id] = closed

    @rule(lock_id=consumes(locks))
    def refund(self, lock_id: UUID) -> None:
        held = self.held[lock_id]
        try:
            closed, tx = lg.refund(
                held, self.ledger.balances(), tx_id=uuid4(), at=self.now, reason="terminated"
            )
        except InvalidState:
            assert held.status is not LockStatus.HELD
            return
        self.post(tx)
        self.held[lock_id] = closed

    @rule(days=st.integers(min_value=1, max_value=20))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        for lock_id, held in list(self.held.items()):
            if held.status is LockStatus.HELD and self.now >= held.expires_at:
                closed, tx = lg.expire(held, self.ledger.balances(), tx_id=uuid4(), now=self.now)
                self.post(tx)
                self.held[lock_id] = closed

    @precondition(lambda self: bool(self.ledger.transactions))
    @rule(
        who=st.sampled_from(PARTICIPANTS),
        kind=st.sampled_from([AccountKind.BUYER, AccountKind.SELLER]),
        amount=amounts,
    )
    def withdraw(self, who: str, kind: AccountKind, amount: Decimal) -> None:
        account = lg.Account(kind, who, CURRENCY)
        balance = self.ledger.balance(account)
        tx = self.attempt(
            lambda: lg.withdraw(
                self.ledger.balances(), tx_id=uuid4(), account=account, amount=amount, at=self.now
            )
        )
        assert (tx is not None) == (amount <= balance)
        self.post(tx)
        if tx is not None:
            self.withdrawn += amount

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_sums_to_zero(self) -> None:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for account, balance in self.ledger.balances().items():
            totals[account.currency] += balance
        assert all(total == 0 for total in totals.values())
        for tx in self.ledger.transactions:
            assert sum((e.amount for e in tx.entries), Decimal(0)) == 0

    @invariant()
    def no_balance_breaks_its_rule(self) -> None:
        for account, balance in self.ledger.balances().items():
            assert lg.violation(account, balance) is None, (account, balance)

    @invariant()
    def locks_hold_what_they_should(self) -> None:
        balances = self.ledger.balances()
        for held in self.held.values():
            remaining = held.remaining(balances)
            assert Decimal(0) <= remaining <= held.amount.amount
            if held.status is not LockStatus.HELD:
                assert remaining == 0

    @invariant()
    def money_is_accounted_for(self) -> None:
        balances = self.ledger.balances()
        inside = sum(
            (b for a, b in balances.items() if a.kind is not AccountKind.EXTERNAL), Decimal(0)
        )
        assert inside == self.deposited - self.withdrawn
        escrowed = sum((b for a, b in balances.items() if a.kind is AccountKind.ESCROW), Decimal(0))
        assert escrowed == self.locked_in - self.paid_out_of_locks - self.refunded
        earned = sum(
            (
                b
                for a, b in balances.items()
                if a.kind in (AccountKind.SELLER, AccountKind.VENUE_FEE)
            ),
            Decimal(0),
        )
        withdrawn_by_sellers = self.withdrawn - self._withdrawn_by_buyers()
        assert earned + withdrawn_by_sellers == self.paid_out_of_locks

    def _withdrawn_by_buyers(self) -> Decimal:
        return sum(
            (
                -e.amount
                for tx in self.ledger.transactions
                if tx.kind is lg.TxKind.WITHDRAWAL
                for e in tx.entries
                if e.account.kind is AccountKind.BUYER
            ),
            Decimal(0),
        )

    @invariant()
    def metered_use_stays_within_the_limit(self) -> None:
        for meter in self.meters.values():
            assert meter.calls <= (METER_POLICY.max_calls or 0)


EscrowLedgerMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEscrowLedger = EscrowLedgerMachine.TestCase
