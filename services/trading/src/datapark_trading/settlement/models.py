"""The escrow ledger as stored.

``ledger_entries`` is append-only; balances are sums over it. The database itself refuses an
entry of zero, a transaction whose entries do not net to zero (checked at commit by a deferred
constraint trigger), a second closing movement (release or refund) of one lock, and a lock
that is closed without a time or open with one. ``accounts`` rows exist to be locked
(``SELECT … FOR UPDATE``) so that two movements on one account serialise.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base

MONEY = Numeric(18, 2)
KINDS = "'external','buyer','escrow','seller','venue_fee'"


class AccountRow(Base):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(f"kind IN ({KINDS})", name="kind_known"),)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EscrowLockRow(Base):
    __tablename__ = "escrow_locks"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("fee_rate >= 0 AND fee_rate <= 0.5", name="fee_rate_range"),
        CheckConstraint("expires_at > locked_at", name="expires_after_lock"),
        CheckConstraint("status IN ('held','released','refunded')", name="status_known"),
        CheckConstraint("(status = 'held') = (closed_at IS NULL)", name="closed_iff_time"),
        CheckConstraint("buyer_id <> seller_id", name="two_parties"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), unique=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    seller_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    fee_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_reason: Mapped[str | None] = mapped_column(Text)


class LedgerTransactionRow(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('deposit','withdrawal','lock','claim','release','refund')", name="kind_known"
        ),
        CheckConstraint(
            "(kind IN ('deposit','withdrawal')) = (lock_id IS NULL)",
            name="lock_movements_name_lock",
        ),
        # A lock is made once and closed once: the heart of "two releases pay out once".
        Index(
            "uq_ledger_transactions_lock_opened_once",
            "lock_id",
            unique=True,
            postgresql_where=text("kind = 'lock'"),
        ),
        Index(
            "uq_ledger_transactions_lock_closed_once",
            "lock_id",
            unique=True,
            postgresql_where=text("kind IN ('release','refund')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    lock_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("escrow_locks.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    memo: Mapped[str] = mapped_column(Text, default="")


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        ForeignKeyConstraint(
            ["account_kind", "account_holder", "currency"],
            ["accounts.kind", "accounts.holder", "accounts.currency"],
            name="fk_ledger_entries_account",
        ),
        Index("ix_ledger_entries_account", "account_kind", "account_holder", "currency"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id"), index=True
    )
    account_kind: Mapped[str] = mapped_column(String(20))
    account_holder: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
