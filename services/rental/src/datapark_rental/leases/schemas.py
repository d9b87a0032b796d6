"""Request and response bodies of lease quotes, applications, leases and their accounts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from datapark_kit.schemas import RequestModel
from datapark_rental.leases.lifecycle import LeaseMode
from datapark_rental.leases.schedule import Amortization
from datapark_rental.schemas import Money, Ratio


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid")


class LeaseTermsIn(_In):
    """The financial terms of an offer. Rates are fractions (``"0.06"`` = 6 %); amounts are
    CNY with at most two decimal places."""

    mode: LeaseMode
    equipment_cost: Decimal
    down_payment_rate: Decimal
    term_months: int
    annual_rate: Decimal
    balloon: Decimal = Decimal("0")
    amortization: Amortization = Amortization.ANNUITY
    cash_flow_profile: list[Decimal] | None = Field(
        default=None, description="12 monthly amounts, January first (seasonal schedules)"
    )
    start_date: date
    fees: Decimal = Decimal("0")
    deposit: Decimal = Decimal("0")
    buyout_price: Decimal = Decimal("0")
    currency: Literal["CNY"] = "CNY"


class MitigationIn(_In):
    vendor_buy_back: bool = False
    residual_guarantee: bool = False
    extra_deposit: Decimal = Decimal("0")


class LeaseApplicationIn(LeaseTermsIn):
    """The terms plus who leases what, and what the lessee declares for the risk review."""

    offering_id: uuid.UUID
    lessee_participant_id: uuid.UUID | None = Field(
        default=None,
        description="defaults to the caller's participant (operators may apply for another)",
    )
    monthly_net_operating_cash_flow: Decimal
    existing_monthly_debt_service: Decimal = Decimal("0")
    mitigation: MitigationIn = Field(default_factory=MitigationIn)


class ScheduleItemOut(BaseModel):
    period: int
    due_date: date
    payment: Money
    interest: Money
    principal: Money
    balance: Money


class TotalsOut(BaseModel):
    interest: Money
    principal: Money
    installments: Money
    balloon: Money
    down_payment: Money
    fees: Money
    buyout_price: Money
    payable: Money = Field(description="everything the lessee pays except the refundable deposit")


class YieldOut(BaseModel):
    apr: Ratio = Field(description="nominal annual IRR over every cash flow (12 × monthly)")
    effective_annual_rate: Ratio
    monthly_irr: Ratio


class LeaseQuoteOut(BaseModel):
    mode: LeaseMode
    currency: str = "CNY"
    equipment_cost: Money
    down_payment: Money
    financed_principal: Money
    periodic_rate: Ratio
    items: list[ScheduleItemOut]
    totals: TotalsOut
    yield_: YieldOut = Field(alias="yield", serialization_alias="yield")
    present_value: Money = Field(description="installments and balloon discounted at the rate")

    model_config = ConfigDict(populate_by_name=True)


class LeaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lessee_participant_id: uuid.UUID
    lessor_participant_id: uuid.UUID
    offering_id: uuid.UUID
    mode: str
    state: str
    currency: str = "CNY"
    equipment_cost: Money
    down_payment: Money
    financed_principal: Money
    annual_rate: Ratio
    apr: Ratio
    term_months: int
    amortization: str
    start_date: date
    schedule: list[dict[str, Any]]
    risk_checks: list[dict[str, Any]]
    refusal: list[dict[str, Any]] = Field(default_factory=list)
    upfront_due: Money
    down_payment_paid: Money
    credit: Money
    activated_on: date | None
    terminated_on: date | None
    days_past_due: int
    delinquency_bucket: str
    created_at: datetime
    updated_at: datetime


class LeasePage(BaseModel):
    items: list[LeaseOut]
    next_cursor: str | None


class PaymentIn(_In):
    amount: Decimal
    currency: str = "CNY"
    paid_on: date | None = Field(default=None, description="value date; today when omitted")


class PaymentOut(BaseModel):
    id: uuid.UUID
    lease_id: uuid.UUID
    purpose: str
    amount: Money
    paid_on: date
    allocations: list[dict[str, Any]]
    credit_after: Money
    lease_state: str


class ActivateIn(_In):
    delivery_accepted_on: date = Field(description="rent starts (起租) on this date")


class TerminateIn(_In):
    reason: str = Field(min_length=1, max_length=500)
    on: date | None = None


class BuyoutIn(_In):
    amount: Decimal
    currency: str = "CNY"
    on: date | None = None


class SettlementOut(BaseModel):
    on: date
    outstanding_principal: Money
    interest_due: Money
    accrued_interest: Money
    penalties: Money
    termination_fee: Money
    deposit_offset: Money
    credit: Money
    buyout_price: Money
    total: Money
    currency: str = "CNY"


class UsageIn(_In):
    quantity: Decimal = Field(gt=0)
    occurred_on: date
    note: str | None = Field(default=None, max_length=500)


class UsageInvoiceIn(_In):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class UsageInvoiceOut(BaseModel):
    lease_id: uuid.UUID
    month: str
    usage: Ratio
    unit_price: Money
    usage_amount: Money
    monthly_minimum: Money
    amount: Money
    due_date: date


class ReceivableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: int
    kind: str
    due_date: date
    principal: Money
    interest: Money
    penalty: Money
    principal_paid: Money
    interest_paid: Money
    penalty_paid: Money


class LessorFinancialsIn(_In):
    net_assets: Decimal = Field(gt=0)
    as_of: date


class LessorFinancialsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    participant_id: uuid.UUID
    net_assets: Money
    as_of: date
