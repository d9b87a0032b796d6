"""Use cases of the escrow ledger: deposits, locks, claims, releases, refunds, expiry.

Each one holds the accounts it touches (row locks in a fixed order), reads their balances from
the entries, lets the pure rules in :mod:`ledger` plan the balanced transaction (refusing what
would break a floor), appends it and publishes the movement: all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import trading as events
from datapark_contracts.ids import uuid7
from datapark_contracts.money import Money as WireMoney
from datapark_kit.errors import InvalidState, NotFound
from datapark_trading.partners.actor import Actor
from datapark_trading.settlement import ledger
from datapark_trading.settlement.ledger import Account, Lock, LockStatus, Transaction
from datapark_trading.settlement.models import EscrowLockRow
from datapark_trading.settlement.repository import LedgerRepository
from datapark_trading.terms.agreement import Agreement
from datapark_trading.terms.money import ZERO, Money
from datapark_trading.terms.pricing import Subscription
from datapark_trading.webhooks.service import publish


def _wire(amount: Decimal) -> WireMoney:
    return WireMoney(amount=amount, currency="CNY")


def lock_value(row: EscrowLockRow) -> Lock:
    return Lock(
        id=row.id,
        agreement_id=row.agreement_id,
        buyer_id=str(row.buyer_id),
        seller_id=str(row.seller_id),
        amount=Money(row.amount, row.currency),
        fee_rate=row.fee_rate,
        locked_at=row.locked_at,
        expires_at=row.expires_at,
        status=LockStatus(row.status),
        closed_at=row.closed_at,
        close_reason=row.close_reason,
    )


@dataclass(frozen=True)
class AccountView:
    participant_id: uuid.UUID
    currency: str
    available: Decimal
    locked: Decimal
    proceeds: Decimal
    locks: list[EscrowLockRow]


class SettlementService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = LedgerRepository(session)

    async def escrows_of(
        self, agreement_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[EscrowLockRow, Decimal]]:
        """Each agreement's escrow lock and what it still holds, many agreements in one query."""
        return await self.repo.escrows_of(agreement_ids)

    async def _balances(
        self, at: datetime, *accounts: Account, debited: Account | None = None
    ) -> dict[Account, Decimal]:
        await self.repo.hold_accounts(accounts, at, debited=[] if debited is None else [debited])
        return await self.repo.balances(accounts)

    async def deposit(self, participant_id: uuid.UUID, amount: Money, at: datetime) -> AccountView:
        """Funds arrived from outside for ``participant_id`` (an operator books them); returns
        the account with the new available."""
        account = ledger.buyer(participant_id, amount.currency)
        # the buyer row is held so the published "available" is exact under concurrent deposits
        balances = await self._balances(
            at, account, ledger.external(amount.currency), debited=account
        )
        tx = ledger.deposit(tx_id=uuid7(), participant_id=participant_id, amount=amount, at=at)
        await self.repo.post(tx)
        available = balances[account] + amount.amount
        await publish(
            self.session,
            events.FundsDeposited(
                account_id=participant_id,
                transaction_id=tx.id,
                amount=_wire(amount.amount),
                available=_wire(available),
                occurred_at=at,
            ),
            parties=[participant_id],
            occurred_at=at,
        )
        return await self._account(participant_id, amount.currency)

    async def lock(
        self,
        agreement: Agreement,
        *,
        amount: Money,
        fee_rate: Decimal,
        expires_at: datetime,
        at: datetime,
    ) -> Lock:
        """Hold the buyer's money for ``agreement``; 422 ``insufficient_funds`` if short."""
        lock_id = uuid7()
        cur = amount.currency
        buyer = ledger.buyer(agreement.consumer_id, cur)
        balances = await self._balances(at, buyer, ledger.escrow(lock_id, cur), debited=buyer)
        held, tx = ledger.lock(
            balances,
            tx_id=uuid7(),
            lock_id=lock_id,
            agreement_id=agreement.id,
            buyer_id=agreement.consumer_id,
            seller_id=agreement.provider_id,
            amount=amount,
            fee_rate=fee_rate,
            at=at,
            expires_at=expires_at,
        )
        await self.repo.add_lock(
            EscrowLockRow(
                id=held.id,
                agreement_id=agreement.id,
                buyer_id=agreement.consumer_id,
                seller_id=agreement.provider_id,
                currency=cur,
                amount=amount.amount,
                fee_rate=fee_rate,
                locked_at=at,
                expires_at=expires_at,
                status=held.status.value,
            )
        )
        await self.repo.post(tx)
        await self._publish(events.EscrowLocked, held, tx, amount.amount, amount.amount, at, None)
        return held

    async def _held(self, agreement_id: uuid.UUID) -> tuple[EscrowLockRow, Lock]:
        row = await self.repo.lock_of(agreement_id, for_update=True)
        if row is None:
            raise NotFound("escrow lock not found")
        return row, lock_value(row)

    async def _payout_balances(self, held: Lock, at: datetime) -> dict[Account, Decimal]:
        cur = held.currency
        return await self._balances(
            at,
            held.account,
            ledger.seller(held.seller_id, cur),
            ledger.venue_fee(cur),
            ledger.buyer(held.buyer_id, cur),
            debited=held.account,
        )

    async def claim(
        self, agreement_id: uuid.UUID, amount: Decimal, at: datetime, reason: str
    ) -> Transaction:
        """Pay the seller an increment of the lock (metered use, a period)."""
        _, held = await self._held(agreement_id)
        balances = await self._payout_balances(held, at)
        tx = ledger.claim(held, balances, tx_id=uuid7(), amount=amount, at=at)
        await self.repo.post(tx)
        remaining = held.remaining(balances) - amount
        await self._publish(events.EscrowClaimed, held, tx, amount, remaining, at, reason)
        return tx

    async def release(self, agreement_id: uuid.UUID, at: datetime, reason: str) -> Lock:
        """Pay the seller the rest of the lock, less the venue fee, and close it: once only.

        The lock row is taken ``FOR UPDATE``: a second, concurrent release waits, then finds
        the lock released and is refused (409); the unique index on closing movements backs
        this up inside the database.
        """
        row, held = await self._held(agreement_id)
        balances = await self._payout_balances(held, at)
        rest = held.remaining(balances)
        closed, tx = ledger.release(held, balances, tx_id=uuid7(), at=at, reason=reason)
        return await self._close(row, closed, tx, events.EscrowReleased, rest, at)

    async def refund(self, agreement_id: uuid.UUID, at: datetime, reason: str) -> Lock | None:
        """Return the rest of the lock to the buyer and close it (if it is still held)."""
        row = await self.repo.lock_of(agreement_id, for_update=True)
        if row is None or row.status != LockStatus.HELD.value:
            return None
        held = lock_value(row)
        balances = await self._payout_balances(held, at)
        rest = held.remaining(balances)
        closed, tx = ledger.refund(held, balances, tx_id=uuid7(), at=at, reason=reason)
        return await self._close(row, closed, tx, events.EscrowRefunded, rest, at)

    async def expire(self, agreement_id: uuid.UUID, now: datetime) -> Lock | None:
        row = await self.repo.lock_of(agreement_id, for_update=True)
        if row is None or row.status != LockStatus.HELD.value or now < row.expires_at:
            return None
        held = lock_value(row)
        balances = await self._payout_balances(held, now)
        rest = held.remaining(balances)
        closed, tx = ledger.expire(held, balances, tx_id=uuid7(), now=now)
        return await self._close(row, closed, tx, events.EscrowRefunded, rest, now)

    async def settle_subscription(self, agreement: Agreement, at: datetime) -> Decimal | None:
        """Pay the seller every subscription period begun by ``at`` and not yet paid; the
        last period's payment closes the lock. Later periods stay locked (and go back to the
        buyer if the agreement ends early)."""
        pricing = agreement.terms.pricing
        if not isinstance(pricing, Subscription):
            return None
        row = await self.repo.lock_of(agreement.id, for_update=True)
        if row is None or row.status != LockStatus.HELD.value or at >= row.expires_at:
            return None
        held = lock_value(row)
        balances = await self._payout_balances(held, at)
        paid = held.amount.amount - held.remaining(balances)
        begun = pricing.periods_begun(agreement.starts_at, at)
        if begun >= pricing.periods:
            rest = held.remaining(balances)
            closed, tx = ledger.release(
                held, balances, tx_id=uuid7(), at=at, reason="last subscription period begun"
            )
            await self._close(row, closed, tx, events.EscrowReleased, rest, at)
            return rest
        owed = pricing.due_by(agreement.starts_at, at) - paid
        if owed <= 0:
            return None
        tx = ledger.claim(held, balances, tx_id=uuid7(), amount=owed, at=at)
        await self.repo.post(tx)
        remaining = held.remaining(balances) - owed
        reason = f"subscription periods 1-{begun} of {pricing.periods}"
        await self._publish(events.EscrowClaimed, held, tx, owed, remaining, at, reason)
        return owed

    async def _close(
        self,
        row: EscrowLockRow,
        closed: Lock,
        tx: Transaction | None,
        event: type[events.EscrowMovement],
        moved: Decimal,
        at: datetime,
    ) -> Lock:
        row.status = closed.status.value
        row.closed_at = closed.closed_at
        row.close_reason = closed.close_reason
        await self.session.flush()
        await self.repo.post(tx)
        await self._publish(event, closed, tx, moved, ZERO, at, closed.close_reason)
        return closed

    async def _publish(
        self,
        event: type[events.EscrowMovement],
        held: Lock,
        tx: Transaction | None,
        amount: Decimal,
        remaining: Decimal,
        at: datetime,
        reason: str | None,
    ) -> None:
        seller_amount = fee = None
        if tx is not None and event in (events.EscrowClaimed, events.EscrowReleased):
            for entry in tx.entries:
                if entry.account.kind is ledger.AccountKind.SELLER:
                    seller_amount = _wire(entry.amount)
                elif entry.account.kind is ledger.AccountKind.VENUE_FEE:
                    fee = _wire(entry.amount)
            fee = fee or _wire(ZERO)
        buyer, seller = uuid.UUID(held.buyer_id), uuid.UUID(held.seller_id)
        await publish(
            self.session,
            event(
                agreement_id=held.agreement_id,
                lock_id=held.id,
                transaction_id=None if tx is None else tx.id,
                buyer_id=buyer,
                seller_id=seller,
                amount=_wire(amount),
                seller_amount=seller_amount,
                fee_amount=fee,
                lock_remaining=_wire(remaining),
                lock_expires_at=held.expires_at,
                reason=reason,
                occurred_at=at,
            ),
            parties=[buyer, seller],
            occurred_at=at,
        )

    async def account(self, actor: Actor, participant_id: uuid.UUID) -> AccountView:
        """A participant's account, for that participant (a partner acting for it) or whoever
        sees every tenant; anyone else 404."""
        actor.ensure_party(participant_id, what="account")
        return await self._account(participant_id)

    async def _account(self, participant_id: uuid.UUID, currency: str = "CNY") -> AccountView:
        balances = await self.repo.participant_balances(participant_id)
        locks = list(await self.repo.held_locks_of(participant_id))
        buyer_locks = [lk for lk in locks if lk.buyer_id == participant_id]
        escrow_balances = await self.repo.balances(
            ledger.escrow(lk.id, lk.currency) for lk in buyer_locks
        )
        return AccountView(
            participant_id=participant_id,
            currency=currency,
            available=balances.get(("buyer", currency), ZERO),
            locked=sum(escrow_balances.values(), ZERO),
            proceeds=balances.get(("seller", currency), ZERO),
            locks=locks,
        )

    async def require_held(self, agreement_id: uuid.UUID, action: str) -> EscrowLockRow:
        row = await self.repo.lock_of(agreement_id)
        if row is None or row.status != LockStatus.HELD.value:
            state = "missing" if row is None else row.status
            raise InvalidState("escrow_lock", state, action, f"the escrow lock is {state}")
        return row
