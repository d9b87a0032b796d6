"""The escrow ledger: double entry, balances derived from entries, every movement balanced.

Accounts, one per holder and currency:

- ``external``  money outside the venue (bank rails); the counterpart of deposits and payouts,
  so it is the only account that goes negative and the sum over all accounts stays zero;
- ``buyer``     a participant's available funds (never below zero: otherwise 422);
- ``escrow``    one per lock: buyer money held for one agreement (never below zero);
- ``seller``    a participant's proceeds from its sales (never below zero);
- ``venue_fee`` the venue's fee income (never below zero).

A movement is a :class:`Transaction` whose signed entries sum to zero per currency (a positive
amount raises the holder's balance). The planning functions below take the current balances
and return the transaction a rule produces, refusing what would break a floor; ``Ledger``
(in :mod:`memory`) is the same ledger in memory, for tests and replays.

    deposit   external → buyer
    lock      buyer → escrow(lock)                       on agreement, with an expiry
    claim     escrow(lock) → seller + venue_fee          an increment: a period, metered use
    release   escrow(lock) → seller + venue_fee          the rest, on confirmed delivery
    refund    escrow(lock) → buyer                       on termination or expiry
    withdraw  buyer | seller | venue_fee → external
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from datapark_contracts.money import to_fen
from datapark_kit.errors import InvalidState, ProblemError, Unprocessable
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.money import ZERO, Money, require_currency

VENUE = "venue"
BANK = "bank"
MAX_FEE_RATE = Decimal("0.5")


class AccountKind(StrEnum):
    EXTERNAL = "external"
    BUYER = "buyer"
    ESCROW = "escrow"
    SELLER = "seller"
    VENUE_FEE = "venue_fee"


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """One ledger account: its kind, its holder (a participant, a lock, the venue), currency."""

    kind: AccountKind
    holder: str
    currency: str

    @property
    def floor(self) -> Decimal | None:
        """The least balance the account's rules allow (``None``: no floor)."""
        return None if self.kind is AccountKind.EXTERNAL else ZERO


def buyer(participant_id: UUID | str, currency: str) -> Account:
    return Account(AccountKind.BUYER, str(participant_id), currency)


def seller(participant_id: UUID | str, currency: str) -> Account:
    return Account(AccountKind.SELLER, str(participant_id), currency)


def escrow(lock_id: UUID | str, currency: str) -> Account:
    return Account(AccountKind.ESCROW, str(lock_id), currency)


def venue_fee(currency: str) -> Account:
    return Account(AccountKind.VENUE_FEE, VENUE, currency)


def external(currency: str) -> Account:
    return Account(AccountKind.EXTERNAL, BANK, currency)


class TxKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    LOCK = "lock"
    CLAIM = "claim"
    RELEASE = "release"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class Entry:
    """One leg of a transaction: a signed amount on one account."""

    account: Account
    amount: Decimal


class UnbalancedTransaction(ValueError):
    """A transaction whose legs do not net to zero: a programming error, never user input."""


@dataclass(frozen=True, slots=True)
class Transaction:
    """A balanced movement of money, posted as a whole or not at all."""

    id: UUID
    kind: TxKind
    entries: tuple[Entry, ...]
    at: datetime
    lock_id: UUID | None = None
    memo: str = ""

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise UnbalancedTransaction("a transaction has at least two legs")
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for entry in self.entries:
            if entry.amount == 0 or entry.amount != to_fen(entry.amount):
                raise UnbalancedTransaction(f"bad leg amount {entry.amount}")
            totals[entry.account.currency] += entry.amount
        if any(total != 0 for total in totals.values()):
            raise UnbalancedTransaction(f"legs do not balance: {dict(totals)}")


def _legs(*moves: tuple[Account, Decimal]) -> tuple[Entry, ...]:
    """Legs with zero amounts dropped (a zero fee is no movement)."""
    return tuple(Entry(account, amount) for account, amount in moves if amount != 0)


def apply(balances: Mapping[Account, Decimal], tx: Transaction) -> dict[Account, Decimal]:
    """The balances of the accounts ``tx`` touches, after it."""
    after: dict[Account, Decimal] = {}
    for entry in tx.entries:
        base = after.get(entry.account, balances.get(entry.account, ZERO))
        after[entry.account] = base + entry.amount
    return after


def violation(account: Account, balance: Decimal) -> ProblemError | None:
    """The error for ``account`` holding ``balance``, or ``None`` if its rules allow it."""
    floor = account.floor
    if floor is None or balance >= floor:
        return None
    short = to_fen(floor - balance)
    if account.kind is AccountKind.BUYER:
        return Unprocessable(
            f"insufficient funds: {short} {account.currency} short",
            field="amount",
            code=TradingProblem.INSUFFICIENT_FUNDS,
            shortfall=str(short),
        )
    if account.kind is AccountKind.ESCROW:
        return Unprocessable(
            f"the amount exceeds what the escrow lock holds by {short} {account.currency}",
            field="amount",
            code=TradingProblem.LOCK_EXCEEDED,
            shortfall=str(short),
        )
    return Unprocessable(
        f"the {account.kind.value} account would be {short} {account.currency} short",
        field="amount",
        code=TradingProblem.INSUFFICIENT_BALANCE,
        shortfall=str(short),
    )


def check(balances: Mapping[Account, Decimal], tx: Transaction) -> None:
    """Refuse ``tx`` if it would take any account below its floor."""
    for account, balance in apply(balances, tx).items():
        error = violation(account, balance)
        if error is not None:
            raise error


# --- locks -------------------------------------------------------------------------------


class LockStatus(StrEnum):
    HELD = "held"
    RELEASED = "released"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Lock:
    """Buyer money held in escrow for one agreement until ``expires_at``."""

    id: UUID
    agreement_id: UUID
    buyer_id: str
    seller_id: str
    amount: Money
    fee_rate: Decimal
    locked_at: datetime
    expires_at: datetime
    status: LockStatus = LockStatus.HELD
    closed_at: datetime | None = None
    close_reason: str | None = None

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def account(self) -> Account:
        return escrow(self.id, self.currency)

    def remaining(self, balances: Mapping[Account, Decimal]) -> Decimal:
        return balances.get(self.account, ZERO)

    def _require_held(self, action: str, at: datetime, *, before_expiry: bool) -> None:
        if self.status is not LockStatus.HELD:
            raise InvalidState(
                "escrow_lock",
                self.status.value,
                action,
                f"the lock was already {self.status.value}: {self.close_reason}",
            )
        if before_expiry and at >= self.expires_at:
            raise InvalidState(
                "escrow_lock",
                "expired",
                action,
                f"the lock expired at {self.expires_at.isoformat()}; only a refund remains",
            )

    def _closed(self, status: LockStatus, at: datetime, reason: str) -> Lock:
        return dataclasses.replace(self, status=status, closed_at=at, close_reason=reason)


def fee_of(amount: Decimal, rate: Decimal) -> Decimal:
    """The venue's fee on a payout to the seller, rounded half up to the cent."""
    return to_fen(amount * rate)


def deposit(*, tx_id: UUID, participant_id: UUID | str, amount: Money, at: datetime) -> Transaction:
    """Funds arrive for a buyer from outside."""
    if amount.amount <= 0:
        raise Unprocessable("a deposit must be greater than zero", field="amount")
    cur = amount.currency
    return Transaction(
        tx_id,
        TxKind.DEPOSIT,
        _legs((external(cur), -amount.amount), (buyer(participant_id, cur), amount.amount)),
        at,
    )


def withdraw(
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    account: Account,
    amount: Decimal,
    at: datetime,
) -> Transaction:
    """Funds leave a buyer, seller or fee account for outside; never more than it holds."""
    if account.kind in (AccountKind.EXTERNAL, AccountKind.ESCROW):
        raise Unprocessable("only buyer, seller and fee accounts pay out", field="account")
    if amount <= 0:
        raise Unprocessable("a withdrawal must be greater than zero", field="amount")
    tx = Transaction(
        tx_id,
        TxKind.WITHDRAWAL,
        _legs((account, -amount), (external(account.currency), amount)),
        at,
    )
    check(balances, tx)
    return tx


def lock(
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    lock_id: UUID,
    agreement_id: UUID,
    buyer_id: UUID | str,
    seller_id: UUID | str,
    amount: Money,
    fee_rate: Decimal,
    at: datetime,
    expires_at: datetime,
) -> tuple[Lock, Transaction]:
    """Hold the buyer's money for an agreement; 422 ``insufficient_funds`` if it is not there."""
    require_currency(amount.currency)
    if amount.amount <= 0:
        raise Unprocessable("a lock must be greater than zero", field="amount")
    if not ZERO <= fee_rate <= MAX_FEE_RATE:
        raise Unprocessable("the venue fee rate is between 0 and 0.5", field="fee_rate")
    if expires_at <= at:
        raise Unprocessable("a lock expires after it is made", field="expires_at")
    if str(buyer_id) == str(seller_id):
        raise Unprocessable("buyer and seller must differ", field="seller_id")
    held = Lock(
        id=lock_id,
        agreement_id=agreement_id,
        buyer_id=str(buyer_id),
        seller_id=str(seller_id),
        amount=amount,
        fee_rate=fee_rate,
        locked_at=at,
        expires_at=expires_at,
    )
    tx = Transaction(
        tx_id,
        TxKind.LOCK,
        _legs((buyer(buyer_id, amount.currency), -amount.amount), (held.account, amount.amount)),
        at,
        lock_id=lock_id,
    )
    check(balances, tx)
    return held, tx


def _payout(held: Lock, tx_id: UUID, kind: TxKind, amount: Decimal, at: datetime) -> Transaction:
    fee = fee_of(amount, held.fee_rate)
    cur = held.currency
    return Transaction(
        tx_id,
        kind,
        _legs(
            (held.account, -amount),
            (seller(held.seller_id, cur), amount - fee),
            (venue_fee(cur), fee),
        ),
        at,
        lock_id=held.id,
    )


def claim(
    held: Lock,
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    amount: Decimal,
    at: datetime,
) -> Transaction:
    """Pay the seller one increment out of the lock (a period, a batch of metered use)."""
    held._require_held("claim", at, before_expiry=True)
    if amount <= 0 or amount != to_fen(amount):
        raise Unprocessable("a claim is a positive amount in cents", field="amount")
    tx = _payout(held, tx_id, TxKind.CLAIM, amount, at)
    check(balances, tx)
    return tx


def release(
    held: Lock,
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    at: datetime,
    reason: str = "delivery confirmed",
) -> tuple[Lock, Transaction | None]:
    """Pay the seller what the lock still holds, less the fee, and close it.

    Returns no transaction when earlier claims already took everything.
    """
    held._require_held("release", at, before_expiry=True)
    rest = held.remaining(balances)
    tx = _payout(held, tx_id, TxKind.RELEASE, rest, at) if rest > 0 else None
    return held._closed(LockStatus.RELEASED, at, reason), tx


def refund(
    held: Lock,
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    at: datetime,
    reason: str,
) -> tuple[Lock, Transaction | None]:
    """Return what the lock still holds to the buyer and close it (termination, expiry)."""
    held._require_held("refund", at, before_expiry=False)
    if not reason.strip():
        raise Unprocessable("a refund needs a reason", field="reason")
    rest = held.remaining(balances)
    tx = None
    if rest > 0:
        tx = Transaction(
            tx_id,
            TxKind.REFUND,
            _legs((held.account, -rest), (buyer(held.buyer_id, held.currency), rest)),
            at,
            lock_id=held.id,
            memo=reason,
        )
    return held._closed(LockStatus.REFUNDED, at, reason), tx


def expire(
    held: Lock,
    balances: Mapping[Account, Decimal],
    *,
    tx_id: UUID,
    now: datetime,
) -> tuple[Lock, Transaction | None]:
    """Refund a lock whose expiry has passed."""
    if now < held.expires_at:
        raise InvalidState(
            "escrow_lock",
            held.status.value,
            "expire",
            f"the lock runs until {held.expires_at.isoformat()}",
        )
    return refund(
        held,
        balances,
        tx_id=tx_id,
        at=now,
        reason=f"lock expired at {held.expires_at.isoformat()}",
    )
