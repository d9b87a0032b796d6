"""A lease's account: payments, installments falling due, penalties and delinquency, early
buyout and accelerated termination (service-lease usage invoices are in ``usage.py``).

The arithmetic is in ``servicing.py`` and ``settlement.py``; this module loads the stored
receivables, runs the rules, writes the result back and publishes the facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Forbidden, InvalidState, Unprocessable
from datapark_rental.leases import floating, invoicing, states
from datapark_rental.leases.models import Lease, LeasePayment, LeaseReceivable
from datapark_rental.leases.parameters import VatBasis, vat_rate
from datapark_rental.leases.repository import SERVICED_STATES
from datapark_rental.leases.service import LeaseService
from datapark_rental.leases.servicing import (
    Allocation,
    PenaltyPolicy,
    Receivable,
    ReceivableKind,
    allocate,
    apply_credit,
    apply_payment,
    days_past_due,
    delinquency_bucket,
)
from datapark_rental.leases.settlement import SettlementQuote, settle, settlement_quote
from datapark_rental.leases.states import LeaseAction, LeaseMode, LeaseState
from datapark_rental.leases.tax import Charge, receivable_vat, upfront_charges
from datapark_rental.tables import OUTBOX
from datapark_rental.terms.money import ZERO, require_currency, require_money


def to_domain(row: LeaseReceivable) -> Receivable:
    return Receivable(
        period=row.period,
        due_date=row.due_date,
        principal=row.principal,
        interest=row.interest,
        kind=ReceivableKind(row.kind),
        penalty=row.penalty,
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        penalty_paid=row.penalty_paid,
        penalty_through=row.penalty_through,
    )


def write_back(rows: Sequence[LeaseReceivable], items: Sequence[Receivable]) -> None:
    by_key = {(item.kind.value, item.period): item for item in items}
    for row in rows:
        item = by_key[(row.kind, row.period)]
        row.due_date, row.principal, row.interest = item.due_date, item.principal, item.interest
        row.penalty, row.penalty_through = item.penalty, item.penalty_through
        row.principal_paid, row.interest_paid = item.principal_paid, item.interest_paid
        row.penalty_paid = item.penalty_paid


def _settled(row: LeaseReceivable) -> bool:
    return (
        row.principal_paid >= row.principal
        and row.interest_paid >= row.interest
        and row.penalty_paid >= row.penalty
    )


def value_date(
    principal: Principal, lease: Lease, asked: date | None, today: date, *, field: str
) -> date:
    """The date money is booked on. A lessee's payment is dated by the server (today); only
    the lessor or an operator records a back-dated one, and never before the lease was signed
    nor in the future (a future date is refused whoever asks)."""
    if asked is None:
        return today
    if asked > today:
        raise Unprocessable("a payment cannot be dated in the future", field=field)
    if asked == today:
        return today
    if not (principal.has("operator") or principal.participant_id == lease.lessor_participant_id):
        raise Forbidden(
            "a lessee's payment is dated by the server: only the lessor or an operator "
            "records a back-dated payment"
        )
    signed_on = lease.signed_on or lease.created_at.date()
    if asked < signed_on:
        raise Unprocessable(
            f"a payment cannot be dated before the lease was signed ({signed_on})", field=field
        )
    return asked


class LeaseAccounts:
    """Money in and out of leases; shares the lease service's lookups and publishing."""

    def __init__(self, leases: LeaseService) -> None:
        self.leases = leases
        self.session = leases.session
        self.repo = leases.repo

    # ---------------------------------------------------------------- payments

    async def pay(
        self,
        principal: Principal,
        lease_id: uuid.UUID,
        amount: Decimal,
        currency: str,
        paid_on: date | None,
    ) -> tuple[LeasePayment, Lease]:
        """A down payment before activation, or a payment on the installments after it."""
        now = datetime.now(UTC)
        require_currency(currency)
        amount = require_money(amount, "amount", positive=True)
        # Either party records a payment; an auditor only reads (403), a stranger sees nothing.
        lease = await self.leases.locked_for(principal, lease_id, lessee=True, lessor=True)
        paid_on = value_date(principal, lease, paid_on, now.date(), field="paid_on")
        state = LeaseState(lease.state)
        if state is LeaseState.AWAITING_DOWN_PAYMENT:
            before = lease.down_payment_paid
            take = min(amount, lease.upfront_due - before)
            lease.down_payment_paid += take
            lease.credit += amount - take
            payment = await self._record(lease, "down_payment", amount, paid_on, (), now)
            charges = upfront_charges(
                vat_rate(VatBasis(lease.vat_basis), paid_on, field="paid_on"),
                down_payment=lease.down_payment,
                fees=lease.fees,
                deposit=lease.deposit,
                paid_before=before,
                taken=take,
            )
            await invoicing.issue(self.session, self.repo, lease, payment, charges, paid_on, now)
            return payment, lease
        if state.value not in SERVICED_STATES:
            raise InvalidState("lease", state.value, "pay")
        rows = await self.repo.receivables(lease.id)
        result = apply_payment(
            [to_domain(r) for r in rows],
            amount,
            currency,
            paid_on,
            self._policy(lease),
            credit=lease.credit,
        )
        payment = await self._apply(lease, rows, result, "installments", amount, paid_on, now)
        await self._pay_off_if_settled(lease, rows, paid_on, now)
        return payment, lease

    # ---------------------------------------------------------------- before term

    async def settlement(
        self, principal: Principal, lease_id: uuid.UUID, on: date | None, *, buyout: bool
    ) -> SettlementQuote:
        """The early-buyout quote (financing leases) or the termination statement on ``on``."""
        lease = await self.leases.get(principal, lease_id)
        return await self._quote(lease, on or datetime.now(UTC).date(), buyout=buyout)

    async def buy_out(
        self,
        principal: Principal,
        lease_id: uuid.UUID,
        amount: Decimal,
        currency: str,
        on: date | None,
    ) -> Lease:
        """Execute the early buyout: everything settles, title can transfer."""
        now = datetime.now(UTC)
        lease = await self.leases.locked_for(principal, lease_id, lessee=True, lessor=True)
        on = value_date(principal, lease, on, now.date(), field="on")
        state = LeaseState(lease.state)
        step = states.transition(LeaseMode(lease.mode), state, LeaseAction.EXECUTE_BUYOUT)
        rows = await self.repo.receivables(lease.id)
        quote = await self._quote(lease, on, buyout=True, rows=rows)
        done = settle(quote, amount, currency)
        # What had fell due by the buyout date and is settled by it was paid on that date
        # (announced as paid); what the buyout accelerated never fell due on its own.
        arrears = {(r.kind, r.period) for r in rows if r.due_date <= on and not _settled(r)}
        write_back(rows, done.receivables)
        await self._announce_paid(
            lease, [r for r in rows if (r.kind, r.period) in arrears], on, now
        )
        for row in rows:
            row.announced_due = row.announced_paid = True
        lease.credit = ZERO
        payment = await self._record(lease, "buyout", amount, on, (), now)
        rate = vat_rate(VatBasis(lease.vat_basis), on, field="on")
        charges = [Charge(item, value, rate) for item, value in _items(quote).items() if value > 0]
        await invoicing.issue(self.session, self.repo, lease, payment, charges, on, now)
        lease.state, lease.ended_on = step.target.value, on
        items = _items(quote) | {"refund": done.refund}
        return await self.leases.publish(
            lease, events.LeaseBoughtOut, now, amount=amount, items=items
        )

    async def terminate(
        self, principal: Principal, lease_id: uuid.UUID, reason: str, on: date | None
    ) -> Lease:
        """Accelerate: the outstanding balance falls due ``on``; deposit and credit are set
        against it (what they exceed it by stays as credit, to refund)."""
        now = datetime.now(UTC)
        on = on or now.date()
        if on > now.date():
            raise Unprocessable("termination cannot be dated in the future", field="on")
        lease = await self.leases.for_action(principal, lease_id, LeaseAction.TERMINATE)
        step = states.transition(
            LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.TERMINATE
        )
        rows = await self.repo.receivables(lease.id)
        statement = await self._quote(lease, on, buyout=False, rows=rows)
        offset = allocate(statement.receivables, lease.deposit + lease.credit, on)
        write_back(rows, offset.receivables)
        lease.credit = offset.credit
        if offset.lines:
            # The deposit and credit set against what fell due are rent received: invoiced
            # at the rate in force on the termination date (the accelerated tax point).
            lines = _event_lines(offset)
            record = await self._record(lease, "termination", ZERO, on, lines, now)
            rate = vat_rate(VatBasis(lease.vat_basis), on, field="on")
            charges = [
                Charge(line.component, line.amount, rate, period=line.period, kind=line.kind)
                for line in lines
            ]
            await invoicing.issue(self.session, self.repo, lease, record, charges, on, now)
        lease.state, lease.terminated_on, lease.ended_on = step.target.value, on, on
        await self._announce_paid(lease, rows, on, now)
        return await self.leases.publish(
            lease,
            events.LeaseTerminated,
            now,
            reason=reason,
            amount_due=statement.total,
            items=_items(statement),
        )

    # ---------------------------------------------------------------- by itself

    async def sweep(self, today: date, limit: int = 100) -> int:
        """Announce what fell due, apply held credit, charge penalties, move buckets."""
        now = datetime.now(UTC)
        await floating.reprice_due(self.leases, today, now, limit)
        leases = await self.repo.leases_to_sweep(today, limit)
        for lease in leases:
            await self.sweep_lease(lease, today, now)
            lease.swept_at = now
        return len(leases)

    async def sweep_lease(self, lease: Lease, today: date, now: datetime) -> None:
        """One lease's sweep up to ``today`` (the lease locked by the caller).

        Receivables fall due in date order; on each due date the credit held (money paid
        ahead) is applied as of that date, so a prepaid installment is paid on the day it
        falls due (``installment_paid`` with that date, never a penalty), whenever the sweep
        runs. What is still unpaid then takes the credit left as of ``today``. Credit that
        settles the last receivable of a financing lease pays it off."""
        rows = await self.repo.receivables(lease.id)
        newly_due = sorted(
            {r.due_date for r in rows if not r.announced_due and r.due_date <= today}
        )
        for day in newly_due:
            for row in rows:
                if not row.announced_due and row.due_date == day:
                    row.announced_due = True
                    vat = receivable_vat(
                        VatBasis(lease.vat_basis), row.vat_rate, row.principal, row.interest, ZERO
                    )
                    await OUTBOX.append(
                        self.session,
                        events.InstallmentFellDue(
                            lease_id=lease.id,
                            lessee_participant_id=lease.lessee_participant_id,
                            occurred_at=now,
                            period=row.period,
                            kind=row.kind,
                            due_date=row.due_date,
                            amount=row.principal + row.interest,
                            principal=row.principal,
                            interest=row.interest,
                            vat_rate=row.vat_rate,
                            vat_net=vat.net,
                            vat_tax=vat.tax,
                        ),
                        occurred_at=now,
                    )
            if lease.credit > 0:
                covered = apply_credit(
                    [to_domain(r) for r in rows], lease.credit, day, self._policy(lease)
                )
                if covered.lines:
                    await self._apply(lease, rows, covered, "installments", ZERO, day, now)
                    await self._pay_off_if_settled(lease, rows, day, now)
        result = apply_credit(
            [to_domain(r) for r in rows], lease.credit, today, self._policy(lease)
        )
        if result.lines:
            await self._apply(lease, rows, result, "installments", ZERO, today, now)
            await self._pay_off_if_settled(lease, rows, today, now)
        else:
            write_back(rows, result.receivables)
            await self._delinquency(lease, rows, today, now)

    # ---------------------------------------------------------------- internals

    async def _pay_off_if_settled(
        self, lease: Lease, rows: list[LeaseReceivable], on: date, now: datetime
    ) -> None:
        """A financing lease whose every receivable is settled is paid off on ``on``."""
        state = LeaseState(lease.state)
        if (
            LeaseMode(lease.mode) is LeaseMode.FINANCING
            and state is LeaseState.ACTIVE
            and rows
            and all(_settled(r) for r in rows)
        ):
            states.require_settled(state, LeaseAction.PAY_OFF, ZERO)
            lease.state = states.transition(
                LeaseMode.FINANCING, state, LeaseAction.PAY_OFF
            ).target.value
            lease.ended_on = on
            await self.leases.publish(lease, events.LeasePaidOff, now)

    async def _apply(
        self,
        lease: Lease,
        rows: list[LeaseReceivable],
        result: Allocation,
        purpose: str,
        amount: Decimal,
        paid_on: date,
        now: datetime,
    ) -> LeasePayment:
        write_back(rows, result.receivables)
        lease.credit = result.credit
        lines = _event_lines(result)
        payment = await self._record(lease, purpose, amount, paid_on, lines, now)
        charges = invoicing.allocation_charges(lines, rows)
        await invoicing.issue(self.session, self.repo, lease, payment, charges, paid_on, now)
        await self._announce_paid(lease, rows, paid_on, now)
        await self._delinquency(lease, rows, max(paid_on, now.date()), now)
        return payment

    async def _record(
        self,
        lease: Lease,
        purpose: str,
        amount: Decimal,
        paid_on: date,
        lines: tuple[events.Allocation, ...],
        now: datetime,
    ) -> LeasePayment:
        payment = LeasePayment(
            id=uuid7(),
            lease_id=lease.id,
            purpose=purpose,
            amount=amount,
            paid_on=paid_on,
            allocations=[line.model_dump(mode="json") for line in lines],
            credit_after=lease.credit,
            created_at=now,
        )
        await self.repo.add(payment)
        if amount > 0:
            await OUTBOX.append(
                self.session,
                events.LeasePaymentReceived(
                    lease_id=lease.id,
                    lessee_participant_id=lease.lessee_participant_id,
                    occurred_at=now,
                    payment_id=payment.id,
                    purpose=purpose,
                    amount=amount,
                    paid_on=paid_on,
                    allocations=lines,
                    credit_after=lease.credit,
                ),
                occurred_at=now,
            )
        return payment

    async def _announce_paid(
        self, lease: Lease, rows: list[LeaseReceivable], paid_on: date, now: datetime
    ) -> None:
        for row in rows:
            if not row.announced_paid and _settled(row) and row.due_date <= paid_on:
                row.announced_paid = True
                await OUTBOX.append(
                    self.session,
                    events.InstallmentPaid(
                        lease_id=lease.id,
                        lessee_participant_id=lease.lessee_participant_id,
                        occurred_at=now,
                        period=row.period,
                        kind=row.kind,
                        due_date=row.due_date,
                        amount=row.principal + row.interest,
                        penalty=row.penalty,
                        paid_on=paid_on,
                    ),
                    occurred_at=now,
                )

    async def _delinquency(
        self, lease: Lease, rows: list[LeaseReceivable], today: date, now: datetime
    ) -> None:
        days = days_past_due([to_domain(r) for r in rows], today)
        bucket = delinquency_bucket(days).value
        previous = lease.delinquency_bucket
        lease.days_past_due = days
        if bucket != previous:
            lease.delinquency_bucket = bucket
            await OUTBOX.append(
                self.session,
                events.LeaseDelinquencyChanged(
                    lease_id=lease.id,
                    lessee_participant_id=lease.lessee_participant_id,
                    occurred_at=now,
                    days_past_due=days,
                    bucket=bucket,
                    previous_bucket=previous,
                ),
                occurred_at=now,
            )

    async def _quote(
        self, lease: Lease, on: date, *, buyout: bool, rows: list[LeaseReceivable] | None = None
    ) -> SettlementQuote:
        state = LeaseState(lease.state)
        action = LeaseAction.EXECUTE_BUYOUT if buyout else LeaseAction.TERMINATE
        states.transition(LeaseMode(lease.mode), state, action)
        if lease.activated_on is not None and on < lease.activated_on:
            raise Unprocessable("the date is before the activation", field="on")
        rows = rows if rows is not None else await self.repo.receivables(lease.id)
        return settlement_quote(
            [to_domain(r) for r in rows],
            on,
            lease.start_date,
            self._policy(lease),
            deposit=lease.deposit,
            credit=lease.credit,
            termination_fee_rate=lease.termination_fee_rate if buyout else ZERO,
            buyout_price=lease.buyout_price if buyout else ZERO,
        )

    def _policy(self, lease: Lease) -> PenaltyPolicy:
        return PenaltyPolicy(daily_rate=lease.penalty_daily_rate, grace_days=lease.grace_days)


def _event_lines(result: Allocation) -> tuple[events.Allocation, ...]:
    return tuple(
        events.Allocation(
            period=ln.period, kind=ln.kind.value, component=ln.component.value, amount=ln.amount
        )
        for ln in result.lines
    )


def _items(quote: SettlementQuote) -> dict[str, Decimal]:
    return {
        "outstanding_principal": quote.outstanding_principal,
        "interest_due": quote.interest_due,
        "accrued_interest": quote.accrued_interest,
        "penalties": quote.penalties,
        "termination_fee": quote.termination_fee,
        "deposit_offset": -quote.deposit_offset,
        "credit": -quote.credit,
        "buyout_price": quote.buyout_price,
    }
