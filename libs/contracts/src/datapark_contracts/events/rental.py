"""Payloads published by rental on ``rental.orders.v1``.

Aggregates and their Kafka keys (the key is always the aggregate id):

- ``booking`` (key ``booking_id``): a reservation of one unit or of every unit of a kit
  (robot container) for a half-open period, from hold to close. Every booking event carries the
  whole booking as it stands after the fact.
- ``lease`` (key ``lease_id``): a financing lease (融资租赁), a long-term rental or a service
  lease (服务租赁), from application and risk review to title transfer or return. Lifecycle
  events carry the whole lease with its repayment schedule; installment, payment, delinquency
  and usage facts belong to the lease's aggregate so that they stay in order with it.

What subsidy needs to compute an entitlement without asking is on every lease snapshot: the
lessee, the mode, the equipment category and cost, the down payment, the financed principal,
the schedule (due date and amount of every installment), the activation date (起租) and the
termination date. A service lease's payments are its monthly usage invoices
(``lease.usage_invoiced``); its snapshot schedule is the financing plan the offer was priced on.

Every lease snapshot also says how the lease is structured (``direct`` or
``sale_and_leaseback``, whose robot is the lessee's own: no catalog offering), how its rate is
set (``fixed`` or ``lpr_linked`` with ``lpr_spread``; ``lease.repriced`` on each anniversary),
the lessor's classification (``finance`` / ``operating``, with its criteria) and the VAT basis
(``whole_rent`` 13 % or ``interest_only`` 6 %). Once a lease has ended, ``ended_on`` says when
(the buyout's value date, the termination date, the day it was paid off or returned), and
every later snapshot keeps it; each scheduled installment says which share of the lease's fees
it bears (``fees``, part of its financing cost). Each payment that settles something taxed
yields ``lease.invoice_issued`` (number, buyer USCC, net, rate, tax, total); installments fall
due with the VAT they carry. These fields are optional with defaults, so a reader of the
earlier schema still reads every event.

Money: decimal strings with two places and ``currency`` "CNY" on each payload; rates are
fractions as decimal strings (``"0.06"`` = 6 %); dates are ISO dates; times are aware.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from datapark_contracts.events.catalog_listings import RentalMode, RobotCategory
from datapark_contracts.money import Amount, SignedAmount
from datapark_contracts.payloads import EventPayload, P, event
from datapark_contracts.topics import RENTAL_ORDERS

Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]
"""A rate or ratio as a decimal string (``"0.060000"``, ``"1.4609"``)."""

BookingStatus = Literal[
    "held", "confirmed", "checked_out", "returned", "inspected", "closed", "expired", "cancelled"
]
LeaseState = Literal[
    "draft",
    "risk_review",
    "approved",
    "rejected",
    "withdrawn",
    "signed",
    "awaiting_down_payment",
    "active",
    "paid_off",
    "title_transferred",
    "returned",
    "closed",
    "terminated",
    "repossessed",
    "written_off",
]
LeaseMode = Literal["financing_lease", "long_term", "service_lease"]
Amortization = Literal["annuity", "equal_principal", "seasonal"]
DelinquencyBucket = Literal["0", "1-30", "31-60", "61-90", "90+"]
ReceivableKind = Literal["installment", "balloon", "usage"]
LeaseStructure = Literal["direct", "sale_and_leaseback"]
RateType = Literal["fixed", "lpr_linked"]
LeaseClassification = Literal["finance", "operating"]
VatBasis = Literal["whole_rent", "interest_only"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# Bookings
# --------------------------------------------------------------------------------------------


class QuoteLine(_Frozen):
    """One rate-card unit of the customer's best price."""

    unit: Literal["hour", "day", "week", "month"]
    quantity: int = Field(gt=0)
    unit_price: Amount
    amount: Amount


class BookingSnapshot(EventPayload):
    """The whole booking after the fact."""

    booking_id: UUID
    offering_id: UUID
    customer_participant_id: UUID
    lessor_participant_id: UUID
    mode: RentalMode = Field(description="short_term, long_term or robot_container")
    equipment_category: RobotCategory
    kit_id: UUID | None
    unit_ids: tuple[UUID, ...] = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    """The rented period ``[start, end)``."""
    reserved_from: AwareDatetime
    reserved_until: AwareDatetime
    """The period held on every unit, turnaround padding included."""
    status: BookingStatus
    overdue: bool
    expires_at: AwareDatetime = Field(description="when an unconfirmed hold lapses")
    currency: Literal["CNY"] = "CNY"
    price_lines: tuple[QuoteLine, ...]
    rental_price: Amount
    deposit: Amount
    late_fee: Amount
    damage_charges: Amount
    cancellation_fee: Amount
    deposit_refund: Amount
    balance_due: Amount
    checked_out_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.booking_id)


def _booking(event_type: str) -> Callable[[P], P]:
    return event(event_type, topic=RENTAL_ORDERS, aggregate="booking")


@_booking("datapark.rental.booking.held.v1")
class BookingHeld(BookingSnapshot):
    """Every unit is held for the padded period until ``expires_at``."""


@_booking("datapark.rental.booking.confirmed.v1")
class BookingConfirmed(BookingSnapshot):
    """The customer confirmed the hold before it expired."""


@_booking("datapark.rental.booking.extended.v1")
class BookingExtended(BookingSnapshot):
    """The end moved later (the units were free); ``rental_price`` is the new total."""

    previous_end: AwareDatetime
    extension_price: Amount


@_booking("datapark.rental.booking.checked_out.v1")
class BookingCheckedOut(BookingSnapshot):
    """The units left with the customer."""


@_booking("datapark.rental.booking.overdue_flagged.v1")
class BookingOverdueFlagged(BookingSnapshot):
    """The end passed and the units are not back."""


@_booking("datapark.rental.booking.returned.v1")
class BookingReturned(BookingSnapshot):
    """The units are back; ``late_fee`` prices a late return."""


@_booking("datapark.rental.booking.inspected.v1")
class BookingInspected(BookingSnapshot):
    """Inspected: damage charged and the deposit settled (refund or balance due)."""


@_booking("datapark.rental.booking.closed.v1")
class BookingClosed(BookingSnapshot):
    """Nothing is left to do."""


@_booking("datapark.rental.booking.expired.v1")
class BookingExpired(BookingSnapshot):
    """The hold lapsed unconfirmed; the units are free again."""


@_booking("datapark.rental.booking.cancelled.v1")
class BookingCancelled(BookingSnapshot):
    """Cancelled before check-out; ``cancellation_fee`` follows the offering's rule."""


# --------------------------------------------------------------------------------------------
# Leases
# --------------------------------------------------------------------------------------------


class ScheduledPayment(_Frozen):
    """One installment of the schedule; ``balance`` is the principal owed after it."""

    period: int = Field(ge=1)
    due_date: date
    payment: Amount
    interest: Amount
    principal: SignedAmount
    balance: SignedAmount
    fees: Amount = Field(
        default=Decimal("0.00"),
        description="the share of the lease's fees this installment bears: upfront fees "
        "spread evenly over the installments (the last takes the remainder to the fen); part "
        "of its financing cost beside ``interest``, never part of ``payment``",
    )


class RiskCheck(_Frozen):
    """One check of the risk review with its inputs (decimals as strings)."""

    check: Literal[
        "dscr", "ltv", "lessee_concentration", "group_concentration", "related_party_concentration"
    ]
    outcome: Literal["passed", "mitigated", "failed", "not_applicable"]
    threshold: Ratio
    comparison: Literal[">=", "<="]
    value: Ratio | None
    inputs: dict[str, str | int | bool | None]
    shortfall: dict[str, Ratio]


class LeaseSnapshot(EventPayload):
    """The whole lease after the fact, with its schedule."""

    lease_id: UUID
    lessee_participant_id: UUID
    lessor_participant_id: UUID
    offering_id: UUID
    kit_id: UUID | None
    unit_ids: tuple[UUID, ...] = Field(min_length=1)
    mode: LeaseMode
    equipment_category: RobotCategory
    currency: Literal["CNY"] = "CNY"
    equipment_cost: Amount
    down_payment: Amount
    financed_principal: Amount
    balloon: Amount
    buyout_price: Amount
    deposit: Amount
    fees: Amount
    annual_rate: Ratio
    apr: Ratio = Field(description="nominal annual IRR over every cash flow")
    term_months: int = Field(ge=1)
    amortization: Amortization
    start_date: date = Field(description="the schedule's start: the activation date once active")
    schedule: tuple[ScheduledPayment, ...]
    state: LeaseState
    activated_on: date | None = Field(description="delivery accepted, rent starts (起租)")
    terminated_on: date | None
    delinquency_bucket: DelinquencyBucket
    occurred_at: AwareDatetime
    structure: LeaseStructure = Field(
        default="direct",
        description="sale_and_leaseback (售后回租): the lessee sold its own robot to the lessor "
        "and leases it back; there is no catalog offering, and offering_id and the one unit id "
        "are the id rental gave the robot bought",
    )
    rate_type: RateType = Field(
        default="fixed",
        description="lpr_linked: annual_rate is the 1-year LPR plus lpr_spread, repriced on "
        "each anniversary of the start",
    )
    lpr_spread: Ratio | None = None
    classification: LeaseClassification | None = Field(
        default=None, description="the lessor's classification (IFRS 16 / ASC 842)"
    )
    classification_criteria: dict[str, str | bool | None] | None = Field(
        default=None, description="each criterion of the classification and its inputs"
    )
    vat_basis: VatBasis | None = Field(
        default=None,
        description="whole_rent (13 %: leases of movable goods) or interest_only "
        "(6 %: sale-and-leaseback, a loan service)",
    )
    ended_on: date | None = Field(
        default=None,
        description="the day the lease ended, however it ended (bought out, paid off, "
        "terminated, returned; a repossession, write-off, close or title transfer keeps the "
        "date of the end it follows); none while it runs",
    )

    def aggregate_id(self) -> str:
        return str(self.lease_id)


def _lease(event_type: str) -> Callable[[P], P]:
    return event(event_type, topic=RENTAL_ORDERS, aggregate="lease")


@_lease("datapark.rental.lease.submitted.v1")
class LeaseSubmitted(LeaseSnapshot):
    """An application entered risk review."""


@_lease("datapark.rental.lease.approved.v1")
class LeaseApproved(LeaseSnapshot):
    """Every risk check passed or was mitigated."""

    risk_checks: tuple[RiskCheck, ...]


@_lease("datapark.rental.lease.rejected.v1")
class LeaseRejected(LeaseSnapshot):
    """The risk review refused: ``failed_checks`` name the checks and by how much."""

    risk_checks: tuple[RiskCheck, ...]
    failed_checks: tuple[RiskCheck, ...] = Field(min_length=1)


@_lease("datapark.rental.lease.repriced.v1")
class LeaseRepriced(LeaseSnapshot):
    """An LPR-linked lease's anniversary: ``annual_rate`` is the 1-year LPR in force on
    ``effective_from`` plus the spread, and every period after ``from_period − 1`` was
    recomputed from the outstanding balance, keeping the term (``schedule`` is the new one)."""

    effective_from: date
    from_period: int = Field(ge=1)
    lpr: Ratio
    previous_annual_rate: Ratio
    outstanding_principal: Amount


@_lease("datapark.rental.lease.withdrawn.v1")
class LeaseWithdrawn(LeaseSnapshot):
    """The applicant withdrew before signing."""


@_lease("datapark.rental.lease.signed.v1")
class LeaseSigned(LeaseSnapshot):
    """Both parties signed."""


@_lease("datapark.rental.lease.down_payment_billed.v1")
class LeaseDownPaymentBilled(LeaseSnapshot):
    """The down payment (and fees and deposit) fell due."""

    amount_due: Amount


@_lease("datapark.rental.lease.activated.v1")
class LeaseActivated(LeaseSnapshot):
    """Delivery accepted: rent starts (起租); the schedule runs from ``activated_on``."""


@_lease("datapark.rental.lease.paid_off.v1")
class LeasePaidOff(LeaseSnapshot):
    """Every installment (and the balloon) is paid."""


@_lease("datapark.rental.lease.bought_out.v1")
class LeaseBoughtOut(LeaseSnapshot):
    """Early buyout executed; ``amount`` settled everything (itemised)."""

    amount: SignedAmount
    items: dict[str, SignedAmount]


@_lease("datapark.rental.lease.title_transferred.v1")
class LeaseTitleTransferred(LeaseSnapshot):
    """Ownership passed to the lessee (financing lease)."""


@_lease("datapark.rental.lease.returned.v1")
class LeaseReturned(LeaseSnapshot):
    """The equipment came back (long-term rental, service lease)."""


@_lease("datapark.rental.lease.closed.v1")
class LeaseClosed(LeaseSnapshot):
    """Nothing is left to do."""


@_lease("datapark.rental.lease.terminated.v1")
class LeaseTerminated(LeaseSnapshot):
    """Terminated early: the outstanding balance fell due on ``terminated_on`` (accelerated)."""

    reason: str
    amount_due: SignedAmount
    items: dict[str, SignedAmount]


@_lease("datapark.rental.lease.repossessed.v1")
class LeaseRepossessed(LeaseSnapshot):
    """The lessor took the equipment back after termination."""


@_lease("datapark.rental.lease.written_off.v1")
class LeaseWrittenOff(LeaseSnapshot):
    """The lessor wrote the remaining receivable off."""


class _LeaseFact(EventPayload):
    lease_id: UUID
    lessee_participant_id: UUID
    currency: Literal["CNY"] = "CNY"
    occurred_at: AwareDatetime

    def aggregate_id(self) -> str:
        return str(self.lease_id)


@_lease("datapark.rental.lease.installment_fell_due.v1")
class InstallmentFellDue(_LeaseFact):
    """An installment (or the balloon, or a usage invoice) is due today."""

    period: int
    kind: ReceivableKind
    due_date: date
    amount: Amount
    principal: SignedAmount
    interest: Amount
    vat_rate: Ratio | None = Field(default=None, description="in force on the due date")
    vat_net: SignedAmount | None = Field(default=None, description="taxable amount less tax")
    vat_tax: Amount | None = None


class Allocation(_Frozen):
    period: int
    kind: ReceivableKind
    component: Literal["penalty", "interest", "principal"]
    amount: Amount


@_lease("datapark.rental.lease.payment_received.v1")
class LeasePaymentReceived(_LeaseFact):
    """Money arrived and was allocated; what is left over is held as credit."""

    payment_id: UUID
    purpose: Literal["down_payment", "installments", "buyout", "termination"]
    amount: Amount
    paid_on: date
    allocations: tuple[Allocation, ...]
    credit_after: Amount


@_lease("datapark.rental.lease.installment_paid.v1")
class InstallmentPaid(_LeaseFact):
    """An installment (or the balloon, or a usage invoice) is fully paid."""

    period: int
    kind: ReceivableKind
    due_date: date
    amount: Amount
    penalty: Amount
    paid_on: date


@_lease("datapark.rental.lease.delinquency_changed.v1")
class LeaseDelinquencyChanged(_LeaseFact):
    """The lease moved to another days-past-due bucket."""

    days_past_due: int = Field(ge=0)
    bucket: DelinquencyBucket
    previous_bucket: DelinquencyBucket


@_lease("datapark.rental.lease.usage_invoiced.v1")
class LeaseUsageInvoiced(_LeaseFact):
    """A service lease's month: ``max(usage × unit price, monthly minimum)``, due on
    ``due_date``."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    period: int
    usage: Ratio
    usage_unit: Literal["procedure", "hour", "task"]
    unit_price: Amount
    usage_amount: Amount
    monthly_minimum: Amount
    amount: Amount
    due_date: date


class InvoiceLine(_Frozen):
    """What one invoice covers: a receivable's component or an upfront/settlement item."""

    item: str = Field(description="principal, interest, penalty, down_payment, fees, …")
    period: int | None = None
    kind: ReceivableKind | None = None
    amount: SignedAmount
    taxed: bool


@_lease("datapark.rental.lease.invoice_issued.v1")
class LeaseInvoiceIssued(_LeaseFact):
    """The invoice (发票) a payment yields: VAT carved out of the taxable, VAT-inclusive amount
    it settled (``total = net + tax``); ``untaxed`` is what it settled outside VAT (principal
    of a sale-and-leaseback, a deposit)."""

    invoice_id: UUID
    number: str
    payment_id: UUID
    lessor_participant_id: UUID
    buyer_uscc: str | None = Field(description="the lessee's USCC (none for a person)")
    issued_on: date
    vat_basis: VatBasis
    rate: Ratio
    net: SignedAmount
    tax: SignedAmount
    total: SignedAmount
    untaxed: SignedAmount
    lines: tuple[InvoiceLine, ...]
