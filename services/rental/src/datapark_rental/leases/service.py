"""Use cases of leases up to activation and at their end: quotes, applications with the
risk review, signing, activation (起租), title transfer, return, close, repossession and
write-off. Each transition publishes its fact with the whole lease."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_rental.fleet.repository import FleetRepository
from datapark_rental.leases import lifecycle
from datapark_rental.leases.facts import (
    CONTRACT_MODE,
    risk_checks,
    schedule_rows,
    snapshot,
    terms_of,
)
from datapark_rental.leases.lifecycle import LeaseAction, LeaseMode, LeaseState
from datapark_rental.leases.models import Lease, LeaseReceivable, LessorFinancials
from datapark_rental.leases.repository import LeaseRepository
from datapark_rental.leases.risk import Mitigation, RiskAssessment, RiskInputs, assess
from datapark_rental.leases.schedule import LeaseTerms, Schedule, build_schedule
from datapark_rental.leases.schemas import LeaseApplicationIn, LeaseTermsIn
from datapark_rental.leases.servicing import receivables_from_schedule
from datapark_rental.leases.yields import Yield, lease_yield
from datapark_rental.money import ZERO, require_money
from datapark_rental.tables import OUTBOX

FACT_EVENTS: dict[str, type[events.LeaseSnapshot]] = {
    "submitted": events.LeaseSubmitted,
    "withdrawn": events.LeaseWithdrawn,
    "signed": events.LeaseSigned,
    "activated": events.LeaseActivated,
    "paid_off": events.LeasePaidOff,
    "title_transferred": events.LeaseTitleTransferred,
    "returned": events.LeaseReturned,
    "closed": events.LeaseClosed,
    "repossessed": events.LeaseRepossessed,
    "written_off": events.LeaseWrittenOff,
}
LESSEE_ACTIONS = frozenset({LeaseAction.WITHDRAW})


def terms_from(body: LeaseTermsIn) -> LeaseTerms:
    """Domain terms of a request; a bad value is a 422 naming its field."""
    return LeaseTerms(
        equipment_cost=body.equipment_cost,
        down_payment_rate=body.down_payment_rate,
        term_months=body.term_months,
        annual_rate=body.annual_rate,
        start_date=body.start_date,
        amortization=body.amortization,
        balloon=body.balloon,
        cash_flow_profile=tuple(body.cash_flow_profile) if body.cash_flow_profile else None,
        fees=body.fees,
        deposit=body.deposit,
        buyout_price=body.buyout_price,
    )


def price(body: LeaseTermsIn) -> tuple[Schedule, Yield]:
    """A lease quote: the schedule and the real yield. Nothing is stored."""
    schedule = build_schedule(terms_from(body))
    return schedule, lease_yield(schedule)


def may_see(principal: Principal, lease: Lease) -> bool:
    return principal.may_access(lease.lessee_participant_id) or principal.may_access(
        lease.lessor_participant_id
    )


class LeaseService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        penalty_daily_rate: Decimal,
        grace_days: int,
        termination_fee_rate: Decimal,
    ) -> None:
        self.session = session
        self.repo = LeaseRepository(session)
        self.fleet = FleetRepository(session)
        self.penalty_daily_rate = penalty_daily_rate
        self.grace_days = grace_days
        self.termination_fee_rate = termination_fee_rate

    async def get(self, principal: Principal, lease_id: uuid.UUID) -> Lease:
        lease = await self.repo.get(lease_id)
        if lease is None or not may_see(principal, lease):
            raise NotFound("lease not found")
        return lease

    async def page(
        self,
        principal: Principal,
        cursor: str | None,
        limit: int,
        *,
        participant_id: uuid.UUID | None = None,
        state: LeaseState | None = None,
        mode: LeaseMode | None = None,
    ) -> tuple[list[Lease], str | None]:
        """Leases the caller may see, newest first: its own as lessee or lessor, or all for
        operators and auditors. Another tenant's ``participant_id`` matches nothing."""
        rows = await self.repo.page(
            before=cursor_id(cursor),
            limit=limit + 1,
            party=participant_id,
            visible_to=None if principal.sees_all_tenants else principal.participant_id,
            state=state.value if state is not None else None,
            mode=mode.value if mode is not None else None,
        )
        page, next_cursor = keyset_page(rows, limit, key=lambda row: row.id)
        return [x for x in page if may_see(principal, x)], next_cursor

    async def apply(self, principal: Principal, body: LeaseApplicationIn) -> Lease:
        """Record the application and run the risk review: approved or rejected at once."""
        now = datetime.now(UTC)
        lessee_id = body.lessee_participant_id or principal.participant_id
        if lessee_id != principal.participant_id and not principal.has("operator"):
            raise Forbidden("only an operator applies for another participant")
        lessee = await self.repo.participant(lessee_id)
        if lessee is None or lessee[0] != "active":
            raise Unprocessable(
                "the lessee is not an active participant", field="lessee_participant_id"
            )
        offering = await self.fleet.offering(body.offering_id)
        if offering is None:
            raise NotFound("offering not found")
        if offering.state != "published":
            raise Conflict("the offering takes no new applications", code="offering_withdrawn")
        if CONTRACT_MODE[body.mode] not in offering.modes:
            raise Unprocessable(
                f"the offering is not offered as a {body.mode.value} lease", field="mode"
            )
        terms = terms_from(body)
        schedule = build_schedule(terms)
        net_assets = await self.repo.net_assets(offering.lessor_participant_id)
        if net_assets is None:
            raise Conflict(
                "the lessor's net assets are not on record", code="lessor_net_assets_unknown"
            )
        units = await self.fleet.units(offering.unit_ids)
        if len(units) != len(set(offering.unit_ids)):
            raise Conflict("a unit of the offering is not known yet", code="unit_unknown")
        group = lessee[1]
        lessor = offering.lessor_participant_id
        assessment = assess(
            schedule,
            RiskInputs(
                monthly_net_operating_cash_flow=body.monthly_net_operating_cash_flow,
                appraised_value=sum((u.appraised_value for u in units), ZERO),
                lessor_net_assets=net_assets,
                existing_monthly_debt_service=body.existing_monthly_debt_service,
                existing_lessee_exposure=await self.repo.exposure(lessor, [lessee_id]),
                existing_group_exposure=(
                    await self.repo.exposure(lessor, group_id=group) if group is not None else None
                ),
                cash_flow_profile=terms.cash_flow_profile,
                mitigation=Mitigation(
                    vendor_buy_back=body.mitigation.vendor_buy_back,
                    residual_guarantee=body.mitigation.residual_guarantee,
                    extra_deposit=body.mitigation.extra_deposit,
                ),
            ),
        )
        lease = self._new_lease(body, terms, schedule, lessee_id, offering, now)
        lease.monthly_net_operating_cash_flow = require_money(
            body.monthly_net_operating_cash_flow, "monthly_net_operating_cash_flow"
        )
        await self.repo.add(lease)
        await self._step(lease, LeaseAction.SUBMIT, now)
        return await self._review(lease, assessment, now)

    async def act(
        self,
        principal: Principal,
        lease_id: uuid.UUID,
        action: LeaseAction,
        *,
        on: date | None = None,
    ) -> Lease:
        """withdraw, sign (which also bills the down payment), activate, transfer_title,
        return_equipment, close, repossess, write_off."""
        now = datetime.now(UTC)
        lease = await self.for_action(principal, lease_id, action)
        if action is LeaseAction.ACTIVATE:
            return await self._activate(lease, on or now.date(), now)
        if action is LeaseAction.CLOSE:
            receivables = await self.repo.receivables(lease.id)
            outstanding = sum((_outstanding(r) for r in receivables), ZERO)
            lifecycle.require_settled(LeaseState(lease.state), action, outstanding)
        await self._step(lease, action, now)
        if action is LeaseAction.SIGN:
            await self._step(
                lease, LeaseAction.BILL_DOWN_PAYMENT, now, amount_due=lease.upfront_due
            )
        return lease

    async def record_financials(
        self, lessor_id: uuid.UUID, net_assets: Decimal, as_of: date
    ) -> LessorFinancials:
        row = await self.repo.lessor_financials(lessor_id)
        now = datetime.now(UTC)
        amount = require_money(net_assets, "net_assets", positive=True)
        if row is None:
            row = LessorFinancials(
                participant_id=lessor_id, net_assets=amount, as_of=as_of, updated_at=now
            )
            await self.repo.add(row)
        else:
            row.net_assets, row.as_of, row.updated_at = amount, as_of, now
        return row

    async def for_action(
        self, principal: Principal, lease_id: uuid.UUID, action: LeaseAction
    ) -> Lease:
        """The lease, locked, for the party that may take ``action``."""
        lessee = action in LESSEE_ACTIONS
        return await self.locked_for(principal, lease_id, lessee=lessee, lessor=not lessee)

    async def locked_for(
        self, principal: Principal, lease_id: uuid.UUID, *, lessee: bool, lessor: bool
    ) -> Lease:
        """The lease, locked; 404 for a stranger, 403 for a party that may not act."""
        lease = await self.repo.get(lease_id, for_update=True)
        if lease is None or not may_see(principal, lease):
            raise NotFound("lease not found")
        allowed = (
            principal.has("operator")
            or (lessee and principal.participant_id == lease.lessee_participant_id)
            or (lessor and principal.participant_id == lease.lessor_participant_id)
        )
        if not allowed:
            who = " or ".join(p for p, ok in (("the lessee", lessee), ("the lessor", lessor)) if ok)
            raise Forbidden(f"only {who} or an operator may do this")
        return lease

    async def publish(
        self, lease: Lease, event: type[events.LeaseSnapshot], now: datetime, **extra: Any
    ) -> Lease:
        lease.updated_at = now
        lease.version += 1
        await self.session.flush()
        await OUTBOX.append(self.session, snapshot(lease, event, **extra), occurred_at=now)
        return lease

    # ---------------------------------------------------------------- internals

    async def _step(self, lease: Lease, action: LeaseAction, now: datetime, **extra: Any) -> Lease:
        step = lifecycle.transition(LeaseMode(lease.mode), LeaseState(lease.state), action)
        lease.state = step.target.value
        event = FACT_EVENTS.get(step.fact)
        if step.fact == "down_payment_billed":
            event = events.LeaseDownPaymentBilled
        assert event is not None, step.fact
        return await self.publish(lease, event, now, **extra)

    async def _review(self, lease: Lease, assessment: RiskAssessment, now: datetime) -> Lease:
        lease.risk_checks = [check.as_record() for check in assessment.checks]
        checks = risk_checks(lease.risk_checks)
        if assessment.approved:
            lease.state = lifecycle.transition(
                LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.APPROVE
            ).target.value
            return await self.publish(lease, events.LeaseApproved, now, risk_checks=checks)
        lease.state = lifecycle.transition(
            LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.REJECT
        ).target.value
        failed = risk_checks(assessment.refusal())
        return await self.publish(
            lease, events.LeaseRejected, now, risk_checks=checks, failed_checks=failed
        )

    async def _activate(self, lease: Lease, accepted_on: date, now: datetime) -> Lease:
        """Rent starts on delivery acceptance: the schedule is rebuilt from that date."""
        if accepted_on > now.date():
            raise Unprocessable(
                "delivery cannot be accepted in the future", field="delivery_accepted_on"
            )
        lifecycle.transition(LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.ACTIVATE)
        lifecycle.require_activation_allowed(
            lease.upfront_due - lease.down_payment_paid, delivery_accepted=True
        )
        schedule = build_schedule(terms_of(lease, accepted_on))
        lease.start_date = accepted_on
        lease.schedule = schedule_rows(schedule)
        lease.apr = lease_yield(schedule).apr
        lease.activated_on = accepted_on
        if LeaseMode(lease.mode) is not LeaseMode.SERVICE:
            rows = [
                LeaseReceivable(
                    lease_id=lease.id,
                    kind=r.kind.value,
                    period=r.period,
                    due_date=r.due_date,
                    principal=r.principal,
                    interest=r.interest,
                    penalty=ZERO,
                    principal_paid=ZERO,
                    interest_paid=ZERO,
                    penalty_paid=ZERO,
                    announced_due=False,
                    announced_paid=False,
                )
                for r in receivables_from_schedule(schedule)
            ]
            await self.repo.add(*rows)
        return await self._step(lease, LeaseAction.ACTIVATE, now)

    def _new_lease(
        self,
        body: LeaseApplicationIn,
        terms: LeaseTerms,
        schedule: Schedule,
        lessee_id: uuid.UUID,
        offering: Any,
        now: datetime,
    ) -> Lease:
        return Lease(
            id=uuid7(),
            lessee_participant_id=lessee_id,
            lessor_participant_id=offering.lessor_participant_id,
            offering_id=offering.id,
            kit_id=offering.kit_id,
            unit_ids=list(offering.unit_ids),
            mode=body.mode.value,
            category=offering.category,
            equipment_cost=terms.equipment_cost,
            down_payment_rate=terms.down_payment_rate,
            down_payment=schedule.down_payment,
            financed_principal=schedule.financed_principal,
            annual_rate=terms.annual_rate,
            term_months=terms.term_months,
            amortization=terms.amortization.value,
            balloon=terms.balloon,
            fees=terms.fees,
            deposit=terms.deposit,
            buyout_price=terms.buyout_price,
            termination_fee_rate=self.termination_fee_rate,
            cash_flow_profile=(
                [str(x) for x in terms.cash_flow_profile] if terms.cash_flow_profile else None
            ),
            start_date=terms.start_date,
            apr=lease_yield(schedule).apr,
            schedule=schedule_rows(schedule),
            state=LeaseState.DRAFT.value,
            risk_checks=[],
            upfront_due=schedule.down_payment + terms.fees + terms.deposit,
            down_payment_paid=ZERO,
            credit=ZERO,
            penalty_daily_rate=self.penalty_daily_rate,
            grace_days=self.grace_days,
            days_past_due=0,
            delinquency_bucket="0",
            version=0,
            created_at=now,
            updated_at=now,
        )


def _outstanding(row: LeaseReceivable) -> Decimal:
    return (
        (row.principal - row.principal_paid)
        + (row.interest - row.interest_paid)
        + (row.penalty - row.penalty_paid)
    )
