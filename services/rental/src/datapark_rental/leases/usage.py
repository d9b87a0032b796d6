"""Service leases (服务租赁): usage reported per procedure, hour or task, invoiced monthly as
``max(usage × price per use, monthly minimum)`` from the offering's service terms. Each invoice
becomes a receivable collected like an installment (allocation, penalties, delinquency)."""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, InvalidState, Unprocessable
from datapark_rental.leases.models import Lease, LeaseReceivable, UsageRecord
from datapark_rental.leases.parameters import VatBasis, vat_rate
from datapark_rental.leases.service import LeaseService
from datapark_rental.leases.servicing import ReceivableKind, usage_invoice
from datapark_rental.leases.states import LeaseMode, LeaseState
from datapark_rental.problems import RentalProblem
from datapark_rental.tables import OUTBOX
from datapark_rental.terms.money import ZERO


class LeaseUsage:
    """Usage and monthly invoices of service leases."""

    def __init__(self, leases: LeaseService) -> None:
        self.leases = leases
        self.session = leases.session
        self.repo = leases.repo

    async def report_usage(
        self,
        principal: Principal,
        lease_id: uuid.UUID,
        quantity: Decimal,
        occurred_on: date,
        note: str | None,
    ) -> UsageRecord:
        lease = await self.leases.locked_for(principal, lease_id, lessee=True, lessor=True)
        self._require_service(lease)
        if lease.activated_on is None or occurred_on < lease.activated_on:
            raise Unprocessable("usage must fall after activation", field="occurred_on")
        if occurred_on > datetime.now(UTC).date():
            raise Unprocessable("usage cannot be reported ahead", field="occurred_on")
        record = UsageRecord(
            id=uuid7(),
            lease_id=lease.id,
            quantity=quantity,
            occurred_on=occurred_on,
            note=note,
            created_at=datetime.now(UTC),
        )
        await self.repo.add(record)
        return record

    async def invoice_usage(
        self, principal: Principal, lease_id: uuid.UUID, month: str
    ) -> events.LeaseUsageInvoiced:
        """Invoice a finished month: ``max(usage × price, monthly minimum)``."""
        now = datetime.now(UTC)
        lease = await self.leases.locked_for(principal, lease_id, lessee=False, lessor=True)
        self._require_service(lease)
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
        last = date(year, number, calendar.monthrange(year, number)[1])
        if last >= now.date():
            raise Unprocessable("only a finished month can be invoiced", field="month")
        offering = (
            await self.leases.fleet.offering(lease.offering_id)
            if lease.offering_id is not None
            else None
        )
        if offering is None or not offering.service_terms:
            raise Conflict(
                "the offering has no service terms", code=RentalProblem.SERVICE_TERMS_MISSING
            )
        terms = offering.service_terms
        records = await self.repo.usage_for_month(lease.id, first, last)
        usage = sum((r.quantity for r in records), Decimal(0))
        invoice = usage_invoice(
            usage,
            Decimal(terms["price_per_use"]["amount"]),
            Decimal(terms["monthly_minimum"]["amount"]),
        )
        due = max(last + timedelta(days=1), now.date())
        row = LeaseReceivable(
            lease_id=lease.id,
            kind=ReceivableKind.USAGE.value,
            period=year * 100 + number,
            due_date=due,
            principal=invoice.amount,
            interest=ZERO,
            vat_rate=vat_rate(VatBasis(lease.vat_basis), due, field="month"),
            penalty=ZERO,
            principal_paid=ZERO,
            interest_paid=ZERO,
            penalty_paid=ZERO,
            announced_due=False,
            announced_paid=False,
        )
        try:
            async with self.session.begin_nested():
                await self.repo.add(row)
        except IntegrityError:
            raise Conflict(
                f"{month} is already invoiced", code=RentalProblem.USAGE_ALREADY_INVOICED
            ) from None
        await self.repo.mark_usage_invoiced([r.id for r in records], month)
        fact = events.LeaseUsageInvoiced(
            lease_id=lease.id,
            lessee_participant_id=lease.lessee_participant_id,
            occurred_at=now,
            month=month,
            period=row.period,
            usage=usage,
            usage_unit=terms["usage_unit"],
            unit_price=invoice.unit_price,
            usage_amount=invoice.usage_amount,
            monthly_minimum=invoice.monthly_minimum,
            amount=invoice.amount,
            due_date=due,
        )
        await OUTBOX.append(self.session, fact, occurred_at=now)
        return fact

    @staticmethod
    def _require_service(lease: Lease) -> None:
        if LeaseMode(lease.mode) is not LeaseMode.SERVICE:
            raise InvalidState("lease", lease.state, "usage", "only service leases report usage")
        if LeaseState(lease.state) is not LeaseState.ACTIVE:
            raise InvalidState("lease", lease.state, "usage", "the lease is not active")
