"""What the protocol adds to a negotiation or transfer of trading: which side datapark's
connector plays, the counter-party's process id and address, and the last state the
counter-party has been told about (or told us itself)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_trading.tables import Base

ROLES = "role IN ('provider','consumer')"


class DspNegotiationRow(Base):
    """A negotiation run over DSP. ``role`` is datapark's side: ``provider`` when a consumer's
    connector asked for one of datapark's datasets, ``consumer`` when a member of datapark
    negotiates with a partner's provider connector. Our process id is the negotiation id."""

    __tablename__ = "dsp_negotiations"
    __table_args__ = (
        UniqueConstraint("counterparty_id", "counterparty_pid", name="dsp_negotiation_pid_once"),
        CheckConstraint(ROLES, name="dsp_negotiation_role_known"),
        CheckConstraint(
            "role = 'consumer' OR counterparty_pid IS NOT NULL", name="dsp_consumer_pid_known"
        ),
        CheckConstraint("attempts >= 0", name="dsp_negotiation_attempts_not_negative"),
    )

    negotiation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("negotiations.id"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10))
    counterparty_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    """The participant of the counter-party's token (never a body field)."""
    counterparty_pid: Mapped[str | None] = mapped_column(String(2000))
    """Its process id: known from the start as provider, from its answer as consumer."""
    counterparty_address: Mapped[str] = mapped_column(Text)
    """Where its DSP endpoints are: a consumer's callbackAddress, or a provider's address."""
    own_address: Mapped[str | None] = mapped_column(Text)
    """As consumer: the callbackAddress we give the provider."""
    dataset_id: Mapped[str] = mapped_column(String(2000))
    offer_id: Mapped[str] = mapped_column(String(2000))
    counterparty_agreement_id: Mapped[str | None] = mapped_column(String(2000))
    """As consumer: the provider's id of the agreement (ours is the negotiation's)."""
    notified_state: Mapped[str] = mapped_column(String(20))
    """The state the counter-party knows: its own moves, or what we last told it."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    gave_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the counter-party's connector stayed unreachable for every attempt."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DspTransferRow(Base):
    """A transfer process run over DSP; ``role`` as for negotiations."""

    __tablename__ = "dsp_transfers"
    __table_args__ = (
        UniqueConstraint("counterparty_id", "counterparty_pid", name="dsp_transfer_pid_once"),
        CheckConstraint(ROLES, name="dsp_transfer_role_known"),
        CheckConstraint(
            "role = 'consumer' OR counterparty_pid IS NOT NULL", name="dsp_transfer_pid_known"
        ),
        CheckConstraint("attempts >= 0", name="dsp_transfer_attempts_not_negative"),
    )

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    counterparty_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    counterparty_pid: Mapped[str | None] = mapped_column(String(2000))
    counterparty_address: Mapped[str] = mapped_column(Text)
    own_address: Mapped[str | None] = mapped_column(Text)
    agreement_ref: Mapped[str] = mapped_column(String(2000))
    """The agreement id as the provider knows it (sent in the TransferRequestMessage)."""
    format: Mapped[str] = mapped_column(String(200))
    data_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """As consumer: the data address the provider's start message carried."""
    notified_state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    gave_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
