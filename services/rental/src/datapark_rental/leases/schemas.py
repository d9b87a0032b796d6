"""Request and response bodies of lease quotes, applications, leases and their accounts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datapark_contracts.events.catalog_listings import RobotCategory
from datapark_contracts.events.rental import LeaseClassification, ReceivableKind, VatBasis
from datapark_kit.schemas import RequestModel
from datapark_rental.leases import examples
from datapark_rental.leases.models import Lease
from datapark_rental.leases.schedule import EARLIEST_DATE, LATEST_DATE, Amortization
from datapark_rental.leases.states import LeaseMode, LeaseState
from datapark_rental.terms.schemas import Money, MoneyOut, Ratio, SignedMoneyOut

LeaseDate = Annotated[
    date,
    Field(
        ge=EARLIEST_DATE,
        le=LATEST_DATE,
        description=f"between {EARLIEST_DATE} and {LATEST_DATE}",
    ),
]
"""Every date a lease request carries is bounded: a year-9999 date is a 422, not a 500."""

Structure = Literal["direct", "sale_and_leaseback"]
RateType = Literal["fixed", "lpr_linked"]
PaymentPurpose = Literal["down_payment", "installments", "buyout", "termination"]


_NOTHING = Money(amount=Decimal("0"))


class _In(RequestModel):
    model_config = ConfigDict(extra="forbid")


class LeaseTermsIn(_In):
    """The financial terms of an offer. Rates are fractions (``"0.06"`` = 6 %); amounts are
    CNY with at most two decimal places.

    ``rate_type: lpr_linked`` floats at the 1-year LPR in force on the start (then on each
    anniversary) plus ``lpr_spread``; ``annual_rate`` is then not given. A
    ``sale_and_leaseback`` (售后回租) is a financing lease of the lessee's own robot:
    ``equipment_cost`` is the purchase price the lessor pays for it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TERMS]})

    mode: LeaseMode
    structure: Structure = "direct"
    equipment_cost: Money
    down_payment_rate: Decimal
    term_months: int
    rate_type: RateType = "fixed"
    annual_rate: Decimal | None = Field(default=None, description="required for a fixed rate")
    lpr_spread: Decimal | None = Field(
        default=None,
        ge=Decimal("-0.05"),
        le=Decimal("0.20"),
        description="added to the LPR (lpr_linked only); at most 8 decimal places",
    )
    balloon: Money = _NOTHING
    amortization: Amortization = Amortization.ANNUITY
    cash_flow_profile: list[Money] | None = Field(
        default=None,
        description="the lessee's cash flow in 12 months, January first (seasonal schedules: "
        "installments follow it)",
    )
    start_date: LeaseDate
    fees: Money = _NOTHING
    deposit: Money = _NOTHING
    buyout_price: Money = _NOTHING


class MitigationIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.MITIGATION]})

    vendor_buy_back: bool = False
    residual_guarantee: bool = False
    residual_guarantor_participant_id: uuid.UUID | None = Field(
        default=None,
        description="who guarantees the residual value: a registered, active participant "
        "other than the lessee (required with residual_guarantee)",
    )
    extra_deposit: Money = _NOTHING


class LeasebackAssetIn(_In):
    """The robot a lessee sells to the lessor and leases back (not a catalog unit)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.LEASEBACK_ASSET]})

    category: RobotCategory
    serial_number: str = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    description: str | None = Field(default=None, max_length=500)
    appraised_value: Money = Field(description="fair value today (LTV, classification)")


class LeaseApplicationIn(LeaseTermsIn):
    """The terms plus who leases what, and what the lessee declares for the risk review.

    A direct lease names a published ``offering_id``; a sale-and-leaseback names the
    ``lessor_participant_id`` and the ``asset`` sold instead."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [examples.APPLICATION, examples.LEASEBACK_APPLICATION]}
    )

    offering_id: uuid.UUID | None = None
    lessor_participant_id: uuid.UUID | None = Field(
        default=None, description="sale-and-leaseback only: who buys the robot"
    )
    asset: LeasebackAssetIn | None = Field(default=None, description="sale-and-leaseback only")
    lessee_participant_id: uuid.UUID | None = Field(
        default=None,
        description="defaults to the caller's participant (operators may apply for another)",
    )
    monthly_net_operating_cash_flow: Money
    existing_monthly_debt_service: Money = _NOTHING
    mitigation: MitigationIn = Field(default_factory=MitigationIn)


class InstallmentOut(BaseModel):
    """One installment of a lease's schedule; ``principal`` is negative in a seasonal month
    whose installment is below its interest (the difference is capitalised)."""

    period: int
    due_date: date
    payment: MoneyOut
    interest: MoneyOut
    principal: SignedMoneyOut
    balance: SignedMoneyOut = Field(description="principal outstanding after the installment")


class ScheduleItemOut(InstallmentOut):
    """An installment of a quoted schedule with the VAT it carries."""

    vat_rate: Ratio | None = Field(default=None, description="in force on the due date")
    vat_net: SignedMoneyOut | None = Field(default=None, description="taxable part less its VAT")
    vat_tax: MoneyOut | None = Field(default=None, description="VAT included in the payment")


class TotalsOut(BaseModel):
    interest: MoneyOut
    principal: MoneyOut
    installments: MoneyOut
    balloon: MoneyOut
    down_payment: MoneyOut
    fees: MoneyOut
    buyout_price: MoneyOut
    payable: MoneyOut = Field(
        description="everything the lessee pays except the refundable deposit"
    )


class YieldOut(BaseModel):
    apr: Ratio = Field(description="nominal annual IRR over every cash flow (12 × monthly)")
    effective_annual_rate: Ratio
    monthly_irr: Ratio


class LeaseQuoteOut(BaseModel):
    """A lease offer priced: its schedule with the VAT of each installment, totals, yield."""

    mode: LeaseMode
    structure: Structure = "direct"
    rate_type: RateType = "fixed"
    annual_rate: Ratio
    lpr: Ratio | None = Field(default=None, description="the LPR fixing the rate starts from")
    lpr_spread: Ratio | None = None
    vat_basis: VatBasis
    equipment_cost: MoneyOut
    down_payment: MoneyOut
    financed_principal: MoneyOut
    periodic_rate: Ratio
    items: list[ScheduleItemOut]
    totals: TotalsOut
    yield_: YieldOut = Field(alias="yield", serialization_alias="yield")
    present_value: MoneyOut = Field(description="installments and balloon discounted at the rate")

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [examples.QUOTE]}
    )


class ShortfallOut(BaseModel):
    """By how much a failed check missed: the ratio, and in money what would close the gap."""

    ratio: Ratio
    amount: MoneyOut | None = Field(
        default=None, description="ltv and concentration: the principal or exposure over the limit"
    )
    monthly_cash_flow: MoneyOut | None = Field(
        default=None, description="dscr: the monthly cash flow missing in the weakest month"
    )


class RiskCheckOut(BaseModel):
    """One check of the risk review, as recorded when the lease was applied for."""

    check: str = Field(description="dscr, ltv, lessee_concentration, group_concentration, ...")
    outcome: Literal["passed", "mitigated", "failed", "not_applicable"]
    threshold: Ratio
    comparison: str = Field(description='">=" or "<=": how value must compare to threshold')
    value: Ratio | None = Field(description="the computed ratio; none when not applicable")
    inputs: dict[str, Any] = Field(description="the figures the check read (decimals as strings)")
    shortfall: ShortfallOut | None = Field(default=None, description="failed checks only")

    @model_validator(mode="before")
    @classmethod
    def _no_shortfall(cls, value: Any) -> Any:
        """The stored record keeps an empty shortfall where the check did not fail."""
        if isinstance(value, dict) and value.get("shortfall") == {}:
            return {**value, "shortfall": None}
        return value


class LeaseAssetOut(BaseModel):
    """The robot a sale-and-leaseback bought from its lessee (not a catalog unit)."""

    id: uuid.UUID
    category: RobotCategory
    serial_number: str
    description: str | None
    purchase_price: MoneyOut = Field(description="what the lessor paid (the equipment cost)")
    appraised_value: MoneyOut
    seller_participant_id: uuid.UUID


class LeaseOut(BaseModel):
    """A lease: its terms, schedule, risk review, classification and where it stands."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [examples.LEASE_OUT, examples.LEASE_REFUSED]},
    )

    id: uuid.UUID
    lessee_participant_id: uuid.UUID
    lessor_participant_id: uuid.UUID
    offering_id: uuid.UUID | None = Field(default=None, description="direct leases")
    mode: LeaseMode
    structure: Structure
    asset: LeaseAssetOut | None = Field(default=None, description="sale-and-leaseback only")
    appraised_value: MoneyOut | None = None
    rate_type: RateType
    lpr_spread: Ratio | None = None
    next_repricing_on: date | None = None
    classification: LeaseClassification
    classification_criteria: dict[str, Any]
    vat_basis: VatBasis
    residual_guarantor_participant_id: uuid.UUID | None = None
    signed_on: date | None = None
    state: LeaseState
    equipment_cost: MoneyOut
    down_payment: MoneyOut
    financed_principal: MoneyOut
    annual_rate: Ratio
    apr: Ratio
    term_months: int
    amortization: Amortization
    start_date: date
    schedule: list[InstallmentOut]
    risk_checks: list[RiskCheckOut]
    refusal: list[RiskCheckOut] = Field(
        default_factory=list, description="the checks that failed: why it was refused"
    )
    upfront_due: MoneyOut
    down_payment_paid: MoneyOut
    credit: MoneyOut
    activated_on: date | None = None
    terminated_on: date | None = None
    ended_on: date | None = Field(
        default=None,
        description="when the lease ended, however it ended (buyout, pay-off, termination, "
        "return); none while it runs",
    )
    days_past_due: int
    delinquency_bucket: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, lease: Lease) -> LeaseOut:
        """The lease as stored, with the risk checks that failed (why it was refused)."""
        out = cls.model_validate(lease)
        out.refusal = [c for c in out.risk_checks if c.outcome == "failed"]
        return out


class LeasePage(BaseModel):
    """A page of leases, newest first; ``next_cursor`` fetches the next (null: the last)."""

    items: list[LeaseOut]
    next_cursor: str | None


class PaymentIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAYMENT_IN]})

    amount: Money
    paid_on: LeaseDate | None = Field(
        default=None,
        description="value date, today when omitted; only the lessor or an operator may "
        "back-date a payment (never before signing, never in the future)",
    )


class AllocationOut(BaseModel):
    """What part of a payment settled which component of which receivable."""

    period: int
    kind: ReceivableKind
    component: Literal["penalty", "interest", "principal"]
    amount: MoneyOut


class PaymentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAYMENT_OUT]})

    id: uuid.UUID
    lease_id: uuid.UUID
    purpose: PaymentPurpose
    amount: MoneyOut
    paid_on: date
    allocations: list[AllocationOut]
    credit_after: MoneyOut
    lease_state: LeaseState


class ActivateIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"delivery_accepted_on": "2027-01-15"}]}
    )

    delivery_accepted_on: LeaseDate = Field(description="rent starts (起租) on this date")


class TerminateIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "installments 4 and 5 unpaid after notice", "on": "2027-06-20"}]
        }
    )

    reason: str = Field(min_length=1, max_length=500)
    on: LeaseDate | None = None


class BuyoutIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BUYOUT_IN]})

    amount: Money = Field(description="the total of the buyout quote on that day")
    on: LeaseDate | None = Field(
        default=None,
        description="today when omitted; only the lessor or an operator may back-date it",
    )


class SettlementOut(BaseModel):
    """What settling a lease on a date would take (a settlement quote); a negative ``total``
    is owed to the lessee."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.SETTLEMENT]}
    )

    on: date
    outstanding_principal: MoneyOut
    interest_due: MoneyOut
    accrued_interest: MoneyOut
    penalties: MoneyOut
    termination_fee: MoneyOut
    deposit_offset: MoneyOut
    credit: MoneyOut
    buyout_price: MoneyOut
    total: SignedMoneyOut


class UsageIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"quantity": "3", "occurred_on": "2027-02-03", "note": "theatre 2"}]
        }
    )

    quantity: Decimal = Field(gt=0)
    occurred_on: LeaseDate
    note: str | None = Field(default=None, max_length=500)


class UsageOut(BaseModel):
    """A usage report as recorded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193b8e2-5a21-7d4e-9f50-7c8d9e0f1a2b",
                    "lease_id": examples.LEASE,
                    "quantity": "3.0000",
                }
            ]
        }
    )

    id: uuid.UUID
    lease_id: uuid.UUID
    quantity: Ratio = Field(description="as reported (procedures, hours or tasks)")


class UsageInvoiceIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"month": "2027-02"}]})

    month: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, 2000–2099")


class UsageInvoiceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.USAGE_INVOICE]})

    lease_id: uuid.UUID
    month: str
    usage: Ratio
    unit_price: MoneyOut
    usage_amount: MoneyOut
    monthly_minimum: MoneyOut
    amount: MoneyOut
    due_date: date


class ReceivableOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.RECEIVABLE]}
    )

    period: int
    kind: ReceivableKind
    due_date: date
    principal: SignedMoneyOut
    interest: MoneyOut
    penalty: MoneyOut
    principal_paid: MoneyOut
    interest_paid: MoneyOut
    penalty_paid: MoneyOut
    vat_rate: Ratio
    vat_net: SignedMoneyOut = Field(description="taxable part (VAT-inclusive) less its VAT")
    vat_tax: MoneyOut = Field(description="VAT included in principal + interest + penalty")
    vat_untaxed: SignedMoneyOut = Field(
        description="outside VAT (a sale-and-leaseback's principal)"
    )


class ReceivablePage(BaseModel):
    """A page of a lease's receivables by due date; ``next_cursor`` fetches the next."""

    items: list[ReceivableOut]
    next_cursor: str | None


class InvoiceLineOut(BaseModel):
    item: str
    period: int | None = None
    kind: ReceivableKind | None = None
    amount: SignedMoneyOut
    taxed: bool


class InvoiceOut(BaseModel):
    """An invoice (发票) record: ``total = net + tax`` of the VAT-inclusive taxable amount."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.INVOICE_OUT]}
    )

    id: uuid.UUID
    number: str
    lease_id: uuid.UUID
    payment_id: uuid.UUID
    lessor_participant_id: uuid.UUID
    lessee_participant_id: uuid.UUID
    buyer_uscc: str | None
    issued_on: date
    vat_basis: VatBasis
    rate: Ratio
    net: SignedMoneyOut
    tax: SignedMoneyOut
    total: SignedMoneyOut
    untaxed: SignedMoneyOut
    lines: list[InvoiceLineOut]


class InvoicePage(BaseModel):
    """A page of invoices; ``next_cursor`` fetches the next (null: the last page)."""

    items: list[InvoiceOut]
    next_cursor: str | None


class LessorFinancialsIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"net_assets": examples.cny("250000000.00"), "as_of": "2026-12-31"}]
        }
    )

    net_assets: Money = Field(description="greater than 0")
    as_of: LeaseDate


class LessorFinancialsOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "participant_id": examples.LESSOR,
                    "net_assets": examples.cny("250000000.00"),
                    "as_of": "2026-12-31",
                }
            ]
        },
    )

    participant_id: uuid.UUID
    net_assets: MoneyOut
    as_of: date
