"""HTTP endpoints of lease quotes, applications, leases and their accounts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from datapark_contracts.money import to_fen
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_rental.leases.accounts import LeaseAccounts
from datapark_rental.leases.parameters import VatBasis, vat_rate
from datapark_rental.leases.risk import RiskLimits
from datapark_rental.leases.schedule import EARLIEST_DATE, LATEST_DATE, present_value
from datapark_rental.leases.schemas import (
    ActivateIn,
    BuyoutIn,
    InvoiceOut,
    InvoicePage,
    LeaseApplicationIn,
    LeaseOut,
    LeasePage,
    LeaseQuoteOut,
    LeaseTermsIn,
    LessorFinancialsIn,
    LessorFinancialsOut,
    PaymentIn,
    PaymentOut,
    ReceivableOut,
    ReceivablePage,
    ScheduleItemOut,
    SettlementOut,
    TerminateIn,
    TotalsOut,
    UsageIn,
    UsageInvoiceIn,
    UsageInvoiceOut,
    UsageOut,
    YieldOut,
)
from datapark_rental.leases.service import LeaseService, price
from datapark_rental.leases.states import LeaseAction, LeaseMode, LeaseState
from datapark_rental.leases.tax import receivable_vat
from datapark_rental.leases.usage import LeaseUsage
from datapark_rental.problems import LEASES
from datapark_rental.settings import RentalSettings
from datapark_rental.terms.money import ZERO

router = APIRouter(
    prefix="/v1", tags=["leases"], route_class=UnitOfWorkRoute, responses=problems(*LEASES)
)
APPLICANTS = require_roles("customer", "participant", "partner", "operator")


def _service(request: Request, session: SessionDep) -> LeaseService:
    settings: RentalSettings = request.app.state.settings
    return LeaseService(
        session,
        penalty_daily_rate=Decimal(settings.penalty_daily_rate),
        grace_days=settings.penalty_grace_days,
        termination_fee_rate=Decimal(settings.termination_fee_rate),
        limits=RiskLimits(ltv_ceiling=Decimal(settings.ltv_ceiling)),
    )


Leases = Annotated[LeaseService, Depends(_service)]
OnDate = Annotated[
    date | None,
    Query(ge=EARLIEST_DATE, le=LATEST_DATE, description="today when omitted"),
]


@router.post("/lease-quotes", response_model=LeaseQuoteOut, response_model_by_alias=True)
async def quote_lease(body: LeaseTermsIn, principal: CurrentPrincipal) -> LeaseQuoteOut:
    """An offer computed without applying: the schedule (Fineract's rounding) with the VAT in
    each installment, its totals and the APR over every cash flow (down payment, fees,
    deposit, balloon, buyout price). An ``lpr_linked`` rate starts at the LPR in force on
    ``start_date`` plus the spread; the quote projects it over the whole term."""
    schedule, yield_, rate, basis = price(body)
    terms = schedule.terms
    items = []
    for i in schedule.installments:
        vat = receivable_vat(basis, vat_rate(basis, i.due_date), i.principal, i.interest, ZERO)
        items.append(
            ScheduleItemOut(
                period=i.period,
                due_date=i.due_date,
                payment=i.payment,
                interest=i.interest,
                principal=i.principal,
                balance=i.balance,
                vat_rate=vat.rate,
                vat_net=vat.net,
                vat_tax=vat.tax,
            )
        )
    return LeaseQuoteOut(
        mode=body.mode,
        structure=body.structure,
        rate_type=body.rate_type,
        annual_rate=rate.annual,
        lpr=rate.lpr,
        lpr_spread=rate.spread,
        vat_basis=basis.value,
        equipment_cost=terms.equipment_cost,
        down_payment=schedule.down_payment,
        financed_principal=schedule.financed_principal,
        periodic_rate=terms.periodic_rate.quantize(Decimal("1e-12")),
        items=items,
        totals=TotalsOut(
            interest=schedule.total_interest,
            principal=schedule.total_principal,
            installments=schedule.total_installments,
            balloon=schedule.balloon,
            down_payment=schedule.down_payment,
            fees=terms.fees,
            buyout_price=terms.buyout_price,
            payable=schedule.total_payable,
        ),
        yield_=YieldOut(
            apr=yield_.apr,
            effective_annual_rate=yield_.effective_annual_rate,
            monthly_irr=yield_.monthly_rate,
        ),
        present_value=to_fen(present_value(schedule)),
    )


@router.post(
    "/lease-applications",
    status_code=status.HTTP_201_CREATED,
    response_model=LeaseOut,
    dependencies=[APPLICANTS],
)
async def apply_for_lease(
    body: LeaseApplicationIn, leases: Leases, principal: CurrentPrincipal
) -> LeaseOut:
    """Apply for a lease of an offering: the risk review (DSCR, LTV, concentration) runs at
    once and the lease comes back ``approved`` or ``rejected`` with every check and, when
    refused, the failed checks and by how much (``refusal``)."""
    return LeaseOut.of(await leases.apply(principal, body))


@router.get("/leases", response_model=LeasePage)
async def list_leases(
    leases: Leases,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    state: LeaseState | None = None,
    mode: LeaseMode | None = None,
    participant_id: Annotated[
        uuid.UUID | None, Query(description="leases where it is the lessee or the lessor")
    ] = None,
) -> LeasePage:
    """Leases the caller is the lessee or the lessor of (operators and auditors see all),
    newest first. Another tenant's ``participant_id`` yields an empty page."""
    items, next_cursor = await leases.page(
        principal, cursor, limit, participant_id=participant_id, state=state, mode=mode
    )
    return LeasePage(items=[LeaseOut.of(x) for x in items], next_cursor=next_cursor)


@router.get("/lease-invoices", response_model=InvoicePage)
async def list_lease_invoices(
    leases: Leases,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    issued_from: OnDate = None,
    issued_to: OnDate = None,
) -> InvoicePage:
    """Invoices the caller issued as lessor or received as lessee (operators and auditors see
    all), newest first; ``issued_from`` / ``issued_to`` bound the issue date (inclusive)."""
    page, next_cursor = await leases.invoice_page(
        principal, cursor, limit, issued_from=issued_from, issued_to=issued_to
    )
    return InvoicePage(items=[InvoiceOut.model_validate(x) for x in page], next_cursor=next_cursor)


@router.get("/leases/{lease_id}", response_model=LeaseOut)
async def get_lease(lease_id: uuid.UUID, leases: Leases, principal: CurrentPrincipal) -> LeaseOut:
    """One lease (its lessee, its lessor, operators and auditors)."""
    return LeaseOut.of(await leases.get(principal, lease_id))


@router.get("/leases/{lease_id}/receivables", response_model=ReceivablePage)
async def list_lease_receivables(
    lease_id: uuid.UUID,
    leases: Leases,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ReceivablePage:
    """Installments (and balloon, usage invoices) by due date, with what was paid on each and
    the VAT each carries (rate in force on its due date, net and tax of the taxable part)."""
    lease, rows, next_cursor = await leases.receivable_page(principal, lease_id, cursor, limit)
    basis = VatBasis(lease.vat_basis)
    out = []
    for row in rows:
        vat = receivable_vat(basis, row.vat_rate, row.principal, row.interest, row.penalty)
        out.append(
            ReceivableOut(
                period=row.period,
                kind=row.kind,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                penalty=row.penalty,
                principal_paid=row.principal_paid,
                interest_paid=row.interest_paid,
                penalty_paid=row.penalty_paid,
                vat_rate=row.vat_rate,
                vat_net=vat.net,
                vat_tax=vat.tax,
                vat_untaxed=vat.untaxed,
            )
        )
    return ReceivablePage(items=out, next_cursor=next_cursor)


@router.get("/leases/{lease_id}/invoices", response_model=InvoicePage)
async def list_invoices_of_lease(
    lease_id: uuid.UUID,
    leases: Leases,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> InvoicePage:
    """The invoices (发票) the lease's payments yielded, oldest first: number, buyer USCC,
    net, rate, tax and total (its lessee, its lessor, operators and auditors)."""
    rows, next_cursor = await leases.lease_invoice_page(principal, lease_id, cursor, limit)
    return InvoicePage(items=[InvoiceOut.model_validate(x) for x in rows], next_cursor=next_cursor)


def _transition(action: LeaseAction, summary: str) -> None:
    async def endpoint(
        lease_id: uuid.UUID, leases: Leases, principal: CurrentPrincipal
    ) -> LeaseOut:
        return LeaseOut.of(await leases.act(principal, lease_id, action))

    endpoint.__doc__ = summary
    endpoint.__name__ = f"{action.value}_lease"
    path = f"/leases/{{lease_id}}/{action.value.replace('_', '-')}"
    router.post(path, response_model=LeaseOut, name=endpoint.__name__)(endpoint)


_transition(LeaseAction.WITHDRAW, "The lessee withdraws the application before signing.")
_transition(
    LeaseAction.SIGN,
    "The lessor records the signed contract; the down payment, fees "
    "and deposit fall due (``awaiting_down_payment``).",
)
_transition(
    LeaseAction.TRANSFER_TITLE, "Ownership passes to the lessee of a paid-off financing lease."
)
_transition(
    LeaseAction.RETURN_EQUIPMENT, "The equipment of a long-term rental or service lease came back."
)
_transition(LeaseAction.CLOSE, "A returned lease with nothing outstanding is closed.")
_transition(LeaseAction.REPOSSESS, "The lessor took the equipment of a terminated lease back.")
_transition(LeaseAction.WRITE_OFF, "The lessor wrote a terminated lease's receivable off.")


@router.post("/leases/{lease_id}/activate", response_model=LeaseOut)
async def activate_lease(
    lease_id: uuid.UUID, body: ActivateIn, leases: Leases, principal: CurrentPrincipal
) -> LeaseOut:
    """Delivery accepted: rent starts (起租). Needs the down payment settled; the schedule is
    rebuilt from ``delivery_accepted_on``."""
    lease = await leases.act(
        principal, lease_id, LeaseAction.ACTIVATE, on=body.delivery_accepted_on
    )
    return LeaseOut.of(lease)


@router.post(
    "/leases/{lease_id}/payments", status_code=status.HTTP_201_CREATED, response_model=PaymentOut
)
async def pay_lease(
    lease_id: uuid.UUID, body: PaymentIn, leases: Leases, principal: CurrentPrincipal
) -> PaymentOut:
    """A payment in CNY: before activation it settles the down payment; after, it goes to the
    due installments, oldest first, penalty → interest → principal; the rest is held as
    credit and applied as installments fall due."""
    payment, lease = await LeaseAccounts(leases).pay(
        principal, lease_id, body.amount.amount, body.amount.currency, body.paid_on
    )
    return PaymentOut(
        id=payment.id,
        lease_id=lease.id,
        purpose=payment.purpose,
        amount=payment.amount,
        paid_on=payment.paid_on,
        allocations=payment.allocations,
        credit_after=payment.credit_after,
        lease_state=lease.state,
    )


@router.get("/leases/{lease_id}/buyout-quote", response_model=SettlementOut)
async def buyout_quote(
    lease_id: uuid.UUID, leases: Leases, principal: CurrentPrincipal, on: OnDate = None
) -> SettlementOut:
    """Early buyout on ``on`` (today by default): outstanding principal + accrued interest +
    penalties + termination fee − deposit − credit + buyout price."""
    return SettlementOut.model_validate(
        await LeaseAccounts(leases).settlement(principal, lease_id, on, buyout=True)
    )


@router.post("/leases/{lease_id}/buyout", response_model=LeaseOut)
async def execute_buyout(
    lease_id: uuid.UUID, body: BuyoutIn, leases: Leases, principal: CurrentPrincipal
) -> LeaseOut:
    """Pay the buyout quote: every receivable settles and the lease is paid off."""
    lease = await LeaseAccounts(leases).buy_out(
        principal, lease_id, body.amount.amount, body.amount.currency, body.on
    )
    return LeaseOut.of(lease)


@router.get("/leases/{lease_id}/termination-statement", response_model=SettlementOut)
async def termination_statement(
    lease_id: uuid.UUID, leases: Leases, principal: CurrentPrincipal, on: OnDate = None
) -> SettlementOut:
    """What would fall due if the lease were terminated on ``on``."""
    return SettlementOut.model_validate(
        await LeaseAccounts(leases).settlement(principal, lease_id, on, buyout=False)
    )


@router.post("/leases/{lease_id}/terminate", response_model=LeaseOut)
async def terminate_lease(
    lease_id: uuid.UUID, body: TerminateIn, leases: Leases, principal: CurrentPrincipal
) -> LeaseOut:
    """Terminate (accelerated): the outstanding balance falls due now."""
    lease = await LeaseAccounts(leases).terminate(principal, lease_id, body.reason, body.on)
    return LeaseOut.of(lease)


@router.post(
    "/leases/{lease_id}/usage", status_code=status.HTTP_201_CREATED, response_model=UsageOut
)
async def report_usage(
    lease_id: uuid.UUID, body: UsageIn, leases: Leases, principal: CurrentPrincipal
) -> UsageOut:
    """A service lease reports usage (procedures, hours or tasks) on a day."""
    record = await LeaseUsage(leases).report_usage(
        principal, lease_id, body.quantity, body.occurred_on, body.note
    )
    return UsageOut(id=record.id, lease_id=lease_id, quantity=record.quantity)


@router.post(
    "/leases/{lease_id}/usage-invoices",
    status_code=status.HTTP_201_CREATED,
    response_model=UsageInvoiceOut,
)
async def invoice_usage(
    lease_id: uuid.UUID, body: UsageInvoiceIn, leases: Leases, principal: CurrentPrincipal
) -> UsageInvoiceOut:
    """Invoice a finished month of a service lease: max(usage × price, monthly minimum)."""
    fact = await LeaseUsage(leases).invoice_usage(principal, lease_id, body.month)
    return UsageInvoiceOut(
        lease_id=lease_id,
        month=fact.month,
        usage=fact.usage,
        unit_price=fact.unit_price,
        usage_amount=fact.usage_amount,
        monthly_minimum=fact.monthly_minimum,
        amount=fact.amount,
        due_date=fact.due_date,
    )


@router.put("/lessors/{participant_id}/financials", response_model=LessorFinancialsOut)
async def record_lessor_financials(
    participant_id: uuid.UUID,
    body: LessorFinancialsIn,
    leases: Leases,
    principal: CurrentPrincipal,
) -> LessorFinancialsOut:
    """A lessor's net assets (operators, or the lessor itself): the base of the
    concentration limits (one lessee ≤ 30 %, one group ≤ 50 %)."""
    row = await leases.record_financials(
        principal, participant_id, body.net_assets.amount, body.as_of
    )
    return LessorFinancialsOut.model_validate(row)
