"""All SQL about the escrow ledger. Balances are always sums over the entries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, cast, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.db import bound_insert, constant_statement, table_of
from datapark_trading.settlement.ledger import Account, AccountKind, Transaction
from datapark_trading.settlement.models import (
    AccountRow,
    EscrowLockRow,
    LedgerEntryRow,
    LedgerTransactionRow,
)
from datapark_trading.terms.money import ZERO

_ACCOUNTS = table_of(AccountRow)
# An account opened if new: one single-row constant statement, compiled once per process and
# executed for the accounts in one asyncpg executemany (the multi-row VALUES it replaces was a
# postgresql.insert, compiled again on every call; #14).
_OPEN_ACCOUNT = constant_statement(
    bound_insert(_ACCOUNTS, ("kind", "holder", "currency", "opened_at")).on_conflict_do_nothing()
)


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hold_accounts(
        self, accounts: Iterable[Account], at: datetime, *, debited: Iterable[Account]
    ) -> None:
        """Open the accounts if new, and lock the rows of those about to be debited (in one
        global order: no deadlocks) so two debits of one account serialise and the second
        sees the first's entries. Accounts only credited need no lock: a credit cannot take
        them below their floor."""
        keys = sorted(set(accounts) | set(debited))
        if not keys:
            return
        await self.session.execute(
            _OPEN_ACCOUNT,
            [
                {"kind": a.kind.value, "holder": a.holder, "currency": a.currency, "opened_at": at}
                for a in keys  # in the one global order, as the locks are taken
            ],
        )
        held = sorted(a for a in set(debited) if a.floor is not None)
        if not held:
            return
        await self.session.execute(
            select(AccountRow.kind)
            .where(
                tuple_(AccountRow.kind, AccountRow.holder, AccountRow.currency).in_(
                    [(a.kind.value, a.holder, a.currency) for a in held]
                )
            )
            .order_by(AccountRow.kind, AccountRow.holder, AccountRow.currency)
            .with_for_update()
        )

    async def balances(self, accounts: Iterable[Account]) -> dict[Account, Decimal]:
        keys = list(set(accounts))
        if not keys:
            return {}
        e = LedgerEntryRow
        query = (
            select(e.account_kind, e.account_holder, e.currency, func.sum(e.amount))
            .where(
                tuple_(e.account_kind, e.account_holder, e.currency).in_(
                    [(a.kind.value, a.holder, a.currency) for a in keys]
                )
            )
            .group_by(e.account_kind, e.account_holder, e.currency)
        )
        found = {
            Account(AccountKind(kind), holder, currency): Decimal(total)
            for kind, holder, currency, total in (await self.session.execute(query)).all()
        }
        return {a: found.get(a, ZERO) for a in keys}

    async def post(self, tx: Transaction | None) -> None:
        """Append a balanced transaction and its entries (the database re-checks at commit)."""
        if tx is None:
            return
        await self.session.execute(
            insert(LedgerTransactionRow).values(
                id=tx.id, kind=tx.kind.value, lock_id=tx.lock_id, at=tx.at, memo=tx.memo
            )
        )
        await self.session.execute(
            insert(LedgerEntryRow).values(
                [
                    {
                        "transaction_id": tx.id,
                        "account_kind": entry.account.kind.value,
                        "account_holder": entry.account.holder,
                        "currency": entry.account.currency,
                        "amount": entry.amount,
                    }
                    for entry in tx.entries
                ]
            )
        )

    async def add_lock(self, row: EscrowLockRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def lock_of(
        self, agreement_id: uuid.UUID, *, for_update: bool = False
    ) -> EscrowLockRow | None:
        query = select(EscrowLockRow).where(EscrowLockRow.agreement_id == agreement_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def escrows_of(
        self, agreement_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[EscrowLockRow, Decimal]]:
        """The escrow lock of each agreement that has one and what its escrow account still
        holds, for a whole page in one statement (the sum per lock is an index lookup)."""
        if not agreement_ids:
            return {}
        e, lock = LedgerEntryRow, EscrowLockRow
        remaining = (
            select(func.coalesce(func.sum(e.amount), ZERO))
            .where(
                e.account_kind == AccountKind.ESCROW.value,
                e.account_holder == cast(lock.id, String),
                e.currency == lock.currency,
            )
            .scalar_subquery()
        )
        query = select(lock, remaining).where(lock.agreement_id.in_(list(agreement_ids)))
        return {
            row.agreement_id: (row, Decimal(held))
            for row, held in (await self.session.execute(query)).tuples()
        }

    async def due_locks(self, now: datetime, limit: int) -> list[uuid.UUID]:
        query = (
            select(EscrowLockRow.agreement_id)
            .where(EscrowLockRow.status == "held", EscrowLockRow.expires_at <= now)
            .order_by(EscrowLockRow.expires_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def participant_balances(
        self, participant_id: uuid.UUID
    ) -> dict[tuple[str, str], Decimal]:
        """``(kind, currency) -> balance`` of the participant's buyer and seller accounts."""
        e = LedgerEntryRow
        query = (
            select(e.account_kind, e.currency, func.sum(e.amount))
            .where(
                e.account_holder == str(participant_id),
                e.account_kind.in_(("buyer", "seller")),
            )
            .group_by(e.account_kind, e.currency)
        )
        return {
            (kind, currency): Decimal(total)
            for kind, currency, total in (await self.session.execute(query)).all()
        }

    async def held_locks_of(self, participant_id: uuid.UUID) -> Sequence[EscrowLockRow]:
        query = (
            select(EscrowLockRow)
            .where(
                EscrowLockRow.status == "held",
                or_(
                    EscrowLockRow.buyer_id == participant_id,
                    EscrowLockRow.seller_id == participant_id,
                ),
            )
            .order_by(EscrowLockRow.locked_at)
        )
        return (await self.session.execute(query)).scalars().all()

    async def total(self) -> Decimal:
        """The sum over every entry of the ledger (zero, always)."""
        value = (await self.session.execute(select(func.sum(LedgerEntryRow.amount)))).scalar()
        return Decimal(value or 0)
