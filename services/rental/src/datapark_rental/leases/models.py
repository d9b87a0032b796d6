"""Leases as stored: the terms, the schedule, the receivables, payments, usage, and the
lessors' balance-sheet figures that concentration limits read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_rental.tables import Base

MONEY = Numeric(16, 2)
RATE = Numeric(12, 8)
ZERO = Decimal("0.00")


class Lease(Base):
    """One lease from application to its end; receivables exist once it is active."""

    __tablename__ = "leases"
    __table_args__ = (
        CheckConstraint("credit >= 0", name="credit_not_negative"),
        CheckConstraint("down_payment_paid >= 0", name="down_payment_paid_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lessee_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    offering_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    """The catalog offering; none for a sale-and-leaseback (the lessee's own robot)."""
    kit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    mode: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    equipment_cost: Mapped[Decimal] = mapped_column(MONEY)
    down_payment_rate: Mapped[Decimal] = mapped_column(RATE)
    down_payment: Mapped[Decimal] = mapped_column(MONEY)
    financed_principal: Mapped[Decimal] = mapped_column(MONEY)
    annual_rate: Mapped[Decimal] = mapped_column(RATE)
    term_months: Mapped[int] = mapped_column(Integer)
    amortization: Mapped[str] = mapped_column(String(20))
    balloon: Mapped[Decimal] = mapped_column(MONEY)
    fees: Mapped[Decimal] = mapped_column(MONEY)
    deposit: Mapped[Decimal] = mapped_column(MONEY)
    buyout_price: Mapped[Decimal] = mapped_column(MONEY)
    termination_fee_rate: Mapped[Decimal] = mapped_column(RATE)
    cash_flow_profile: Mapped[list[str] | None] = mapped_column(JSONB)
    start_date: Mapped[date] = mapped_column(Date)
    apr: Mapped[Decimal] = mapped_column(RATE)
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(30), index=True)
    risk_checks: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    monthly_net_operating_cash_flow: Mapped[Decimal] = mapped_column(MONEY)
    upfront_due: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    """Down payment + fees + deposit, due before activation."""
    down_payment_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    penalty_daily_rate: Mapped[Decimal] = mapped_column(RATE)
    grace_days: Mapped[int] = mapped_column(Integer)
    activated_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer, default=0)
    delinquency_bucket: Mapped[str] = mapped_column(String(10), default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    structure: Mapped[str] = mapped_column(String(30), server_default="direct")
    """``direct`` or ``sale_and_leaseback`` (售后回租)."""
    asset: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """A sale-and-leaseback's robot as the lessee sold it (id, serial number, price…)."""
    appraised_value: Mapped[Decimal | None] = mapped_column(MONEY)
    """Fair value of the equipment at application (LTV and classification read it)."""
    rate_type: Mapped[str] = mapped_column(String(20), server_default="fixed")
    lpr_spread: Mapped[Decimal | None] = mapped_column(RATE)
    next_repricing_on: Mapped[date | None] = mapped_column(Date, index=True)
    """The next anniversary an LPR-linked lease is repriced on; none when no period is left."""
    classification: Mapped[str] = mapped_column(String(20))
    classification_criteria: Mapped[dict[str, Any]] = mapped_column(JSONB)
    vat_basis: Mapped[str] = mapped_column(String(20), server_default="whole_rent")
    residual_guarantor_participant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    signed_on: Mapped[date | None] = mapped_column(Date)
    """No payment may be dated before it, nor delivery accepted (rent start) before it."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """When the lease ended, however it ended: the buyout's value date, the termination date,
    the day it was paid off or returned. Set once; a repossession, write-off, close or title
    transfer keeps the date of the end it follows."""
    swept_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the sweeper last went through the lease. Leases with something due are swept least
    recently swept first, so a book with many leases in arrears (swept again every pass) cannot
    starve a lease whose installment has just fallen due."""


class LeaseReceivable(Base):
    """What is owed for one installment, the balloon or a usage invoice, and what was paid."""

    __tablename__ = "lease_receivables"
    __table_args__ = (
        CheckConstraint(
            "principal_paid <= principal OR principal < 0", name="principal_not_overpaid"
        ),
        CheckConstraint("interest_paid <= interest", name="interest_not_overpaid"),
        CheckConstraint("penalty_paid <= penalty", name="penalty_not_overpaid"),
    )

    lease_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leases.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    penalty: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    principal_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    interest_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    penalty_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    penalty_through: Mapped[date | None] = mapped_column(Date)
    announced_due: Mapped[bool] = mapped_column(Boolean, default=False)
    announced_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    vat_rate: Mapped[Decimal] = mapped_column(RATE, server_default="0.13")
    """The VAT rate in force on the due date for the lease's basis."""


class LeasePayment(Base):
    """Money received for a lease, with where it went."""

    __tablename__ = "lease_payments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lease_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leases.id"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    allocations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    credit_after: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UsageRecord(Base):
    """Usage a service lease reported (procedures, hours or tasks) on a day."""

    __tablename__ = "lease_usage"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    lease_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leases.id"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    invoiced_month: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LessorFinancials(Base):
    """A lessor's net assets as declared to the park (the base of concentration limits)."""

    __tablename__ = "lessor_financials"

    participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    net_assets: Mapped[Decimal] = mapped_column(MONEY)
    as_of: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeaseInvoice(Base):
    """The invoice (发票) one payment yields: VAT carved out of what it settled."""

    __tablename__ = "lease_invoices"
    __table_args__ = (CheckConstraint("total = net + tax", name="total_is_net_plus_tax"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    lease_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("leases.id"), index=True
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("lease_payments.id"), index=True
    )
    lessor_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    lessee_participant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    buyer_uscc: Mapped[str | None] = mapped_column(String(18))
    issued_on: Mapped[date] = mapped_column(Date)
    vat_basis: Mapped[str] = mapped_column(String(20))
    rate: Mapped[Decimal] = mapped_column(RATE)
    net: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    untaxed: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
