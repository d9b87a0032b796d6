"""Use cases of leases up to activation and at their end: quotes, applications with the
risk review, signing, activation (起租), title transfer, return, close, repossession and
write-off. Each transition publishes its fact with the whole lease."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import rental as events
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, decode_cursor, encode_cursor, keyset_page
from datapark_rental.fleet.repository import FleetRepository
from datapark_rental.leases import floating, states
from datapark_rental.leases.classification import Classification, classify
from datapark_rental.leases.events import (
    CONTRACT_MODE,
    risk_checks,
    schedule_rows,
    snapshot,
    terms_of,
)
from datapark_rental.leases.models import Lease, LeaseInvoice, LeaseReceivable, LessorFinancials
from datapark_rental.leases.parameters import VatBasis, lpr, vat_rate
from datapark_rental.leases.repository import LeaseRepository
from datapark_rental.leases.risk import (
    Mitigation,
    RiskAssessment,
    RiskInputs,
    RiskLimits,
    assess,
)
from datapark_rental.leases.schedule import LeaseTerms, Schedule, build_schedule
from datapark_rental.leases.schemas import LeaseApplicationIn, LeaseTermsIn
from datapark_rental.leases.servicing import receivables_from_schedule
from datapark_rental.leases.states import LeaseAction, LeaseMode, LeaseState
from datapark_rental.leases.yields import Yield, lease_yield
from datapark_rental.problems import RentalProblem
from datapark_rental.tables import OUTBOX
from datapark_rental.terms.money import ZERO, require_money

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
ENDING_ACTIONS = frozenset(
    {
        LeaseAction.TRANSFER_TITLE,
        LeaseAction.CLOSE,
        LeaseAction.REPOSSESS,
        LeaseAction.WRITE_OFF,
    }
)
"""Steps after a lease's end: they keep the date it ended (set by the buyout, pay-off,
termination or return before them)."""


SPREAD_PLACES = Decimal("0.00000001")
SALE_AND_LEASEBACK = "sale_and_leaseback"


@dataclass(frozen=True)
class Rate:
    """The annual rate a request resolves to: fixed, or the LPR in force plus the spread."""

    annual: Decimal
    lpr: Decimal | None = None
    spread: Decimal | None = None


def rate_from(body: LeaseTermsIn, on: date) -> Rate:
    """The annual rate of a request on ``on``; each inconsistency is a 422 naming its field."""
    if body.rate_type == "fixed":
        if body.lpr_spread is not None:
            raise Unprocessable("lpr_spread applies to lpr_linked rates only", field="lpr_spread")
        if body.annual_rate is None:
            raise Unprocessable("a fixed rate needs annual_rate", field="annual_rate")
        return Rate(body.annual_rate)
    if body.annual_rate is not None:
        raise Unprocessable(
            "an lpr_linked rate is the LPR plus lpr_spread: annual_rate is not given",
            field="annual_rate",
        )
    spread = body.lpr_spread
    if spread is None:
        raise Unprocessable("an lpr_linked rate needs lpr_spread", field="lpr_spread")
    if spread != spread.quantize(SPREAD_PLACES):
        raise Unprocessable("lpr_spread has at most 8 decimal places", field="lpr_spread")
    fixing = lpr(on, field="start_date")
    if fixing + spread < 0:
        raise Unprocessable(f"lpr_spread takes the rate below 0 (LPR {fixing})", field="lpr_spread")
    return Rate(fixing + spread, fixing, spread)


def vat_basis_of(body: LeaseTermsIn) -> VatBasis:
    """A sale-and-leaseback is a loan service; every other lease leases movable goods."""
    if body.structure == SALE_AND_LEASEBACK:
        if body.mode is not LeaseMode.FINANCING:
            raise Unprocessable(
                "a sale-and-leaseback is a financing lease (mode financing)", field="structure"
            )
        return VatBasis.INTEREST_ONLY
    return VatBasis.WHOLE_RENT


def terms_from(body: LeaseTermsIn, rate: Rate | None = None) -> LeaseTerms:
    """Domain terms of a request; a bad value is a 422 naming its field."""
    rate = rate or rate_from(body, body.start_date)
    return LeaseTerms(
        equipment_cost=body.equipment_cost.amount,
        down_payment_rate=body.down_payment_rate,
        term_months=body.term_months,
        annual_rate=rate.annual,
        start_date=body.start_date,
        amortization=body.amortization,
        balloon=body.balloon.amount,
        cash_flow_profile=(
            tuple(m.amount for m in body.cash_flow_profile) if body.cash_flow_profile else None
        ),
        fees=body.fees.amount,
        deposit=body.deposit.amount,
        buyout_price=body.buyout_price.amount,
    )


def price(body: LeaseTermsIn) -> tuple[Schedule, Yield, Rate, VatBasis]:
    """A lease quote: the schedule, the real yield, the rate and the VAT basis. Nothing is
    stored. An LPR-linked quote projects the fixing in force on start_date over the term."""
    basis = vat_basis_of(body)
    rate = rate_from(body, body.start_date)
    schedule = build_schedule(terms_from(body, rate))
    return schedule, lease_yield(schedule), rate, basis


def receivable_position(cursor: str | None) -> tuple[date, int, str] | None:
    """The (due date, period, kind) a receivables cursor points past; 422 for a cursor this
    API did not issue."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        day, period, kind = position.split("|")
        number = int(period)
        if not 0 <= number < 2**31:  # an integer column: beyond it Postgres errs (a 500)
            raise ValueError(period)
        return date.fromisoformat(day), number, kind
    except ValueError:
        raise Unprocessable("cursor is not one this API issued", field="cursor") from None


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
        limits: RiskLimits | None = None,
    ) -> None:
        self.session = session
        self.repo = LeaseRepository(session)
        self.fleet = FleetRepository(session)
        self.penalty_daily_rate = penalty_daily_rate
        self.grace_days = grace_days
        self.termination_fee_rate = termination_fee_rate
        self.limits = limits or RiskLimits()

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

    async def invoice_page(
        self,
        principal: Principal,
        cursor: str | None,
        limit: int,
        *,
        issued_from: date | None = None,
        issued_to: date | None = None,
    ) -> tuple[list[LeaseInvoice], str | None]:
        """Invoices the caller issued as lessor or received as lessee (operators and auditors
        all), newest first."""
        if issued_from is not None and issued_to is not None and issued_from > issued_to:
            raise Unprocessable("issued_from is after issued_to", field="issued_from")
        rows = await self.repo.invoice_page(
            before=cursor_id(cursor),
            limit=limit + 1,
            visible_to=None if principal.sees_all_tenants else principal.participant_id,
            issued_from=issued_from,
            issued_to=issued_to,
        )
        return keyset_page(rows, limit, key=lambda row: row.id)

    async def lease_invoice_page(
        self, principal: Principal, lease_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[LeaseInvoice], str | None]:
        """The invoices of a lease the caller may see, oldest first."""
        lease = await self.get(principal, lease_id)
        rows = await self.repo.lease_invoice_page(
            lease.id, after=cursor_id(cursor), limit=limit + 1
        )
        return keyset_page(rows, limit, key=lambda row: row.id)

    async def receivable_page(
        self, principal: Principal, lease_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[Lease, list[LeaseReceivable], str | None]:
        """The receivables of a lease the caller may see, by due date, with the lease."""
        lease = await self.get(principal, lease_id)
        rows = await self.repo.receivable_page(
            lease.id, after=receivable_position(cursor), limit=limit + 1
        )
        items = rows[:limit]
        more = len(rows) > limit
        last = items[-1] if items else None
        position = f"{last.due_date.isoformat()}|{last.period}|{last.kind}" if last else ""
        return lease, items, encode_cursor(position) if more else None

    async def apply(self, principal: Principal, body: LeaseApplicationIn) -> Lease:
        """Record the application and run the risk review: approved or rejected at once.

        Everything is checked before anything is written: a refused request leaves no row
        and no event."""
        now = datetime.now(UTC)
        lessee_id = body.lessee_participant_id or principal.participant_id
        if lessee_id != principal.participant_id and not principal.has("operator"):
            raise Forbidden("only an operator applies for another participant")
        lessee = await self.repo.participant(lessee_id)
        if lessee is None or lessee[0] != "active":
            raise Unprocessable(
                "the lessee is not an active participant", field="lessee_participant_id"
            )
        basis = vat_basis_of(body)
        rate = rate_from(body, body.start_date)
        terms = terms_from(body, rate)
        schedule = build_schedule(terms)
        if body.structure == SALE_AND_LEASEBACK:
            equipment = await self._leaseback_equipment(body, lessee_id)
        else:
            equipment = await self._offered_equipment(body)
        lessor = equipment.lessor_id
        net_assets = await self.repo.net_assets(lessor)
        if net_assets is None:
            raise Conflict(
                "the lessor's net assets are not on record",
                code=RentalProblem.LESSOR_NET_ASSETS_UNKNOWN,
            )
        guarantor = body.mitigation.residual_guarantor_participant_id
        mitigation = Mitigation(
            vendor_buy_back=body.mitigation.vendor_buy_back,
            residual_guarantee=body.mitigation.residual_guarantee,
            extra_deposit=body.mitigation.extra_deposit.amount,
            residual_guarantor_participant_id=guarantor,
        )
        if guarantor is not None:
            await self._require_guarantor(guarantor, lessee_id, lessor)
        group = lessee[1]
        lessor_row = await self.repo.participant(lessor)
        lessor_group = lessor_row[1] if lessor_row is not None else None
        related = group is not None and group == lessor_group
        cash_flow = require_money(
            body.monthly_net_operating_cash_flow.amount, "monthly_net_operating_cash_flow"
        )
        assessment = assess(
            schedule,
            RiskInputs(
                monthly_net_operating_cash_flow=cash_flow,
                appraised_value=equipment.appraised_value,
                lessor_net_assets=net_assets,
                existing_monthly_debt_service=body.existing_monthly_debt_service.amount,
                existing_lessee_exposure=await self.repo.exposure(lessor, [lessee_id]),
                existing_group_exposure=(
                    await self.repo.exposure(lessor, group_id=group) if group is not None else None
                ),
                cash_flow_profile=terms.cash_flow_profile,
                mitigation=mitigation,
                existing_related_party_exposure=(
                    await self.repo.exposure(lessor, group_id=lessor_group) if related else None
                ),
            ),
            self.limits,
        )
        classification = classify(
            body.mode,
            schedule,
            equipment.appraised_value,
            sale_and_leaseback=body.structure == SALE_AND_LEASEBACK,
        )
        lease = self._new_lease(
            body, terms, schedule, lessee_id, equipment, classification, basis, rate, now
        )
        lease.monthly_net_operating_cash_flow = cash_flow
        lease.residual_guarantor_participant_id = guarantor
        await self.repo.add(lease)
        await self._step(lease, LeaseAction.SUBMIT, now)
        return await self._review(lease, assessment, now)

    async def _offered_equipment(self, body: LeaseApplicationIn) -> Equipment:
        """A direct lease: the units of a published offering."""
        for name in ("lessor_participant_id", "asset"):
            if getattr(body, name) is not None:
                raise Unprocessable(f"{name} is for a sale-and-leaseback only", field=name)
        if body.offering_id is None:
            raise Unprocessable("a direct lease names its offering_id", field="offering_id")
        offering = await self.fleet.offering(body.offering_id)
        if offering is None:
            raise NotFound("offering not found")
        if offering.state != "published":
            raise Conflict(
                "the offering takes no new applications", code=RentalProblem.OFFERING_WITHDRAWN
            )
        if CONTRACT_MODE[body.mode] not in offering.modes:
            raise Unprocessable(
                f"the offering is not offered as a {body.mode.value} lease", field="mode"
            )
        units = await self.fleet.units(offering.unit_ids)
        if len(units) != len(set(offering.unit_ids)):
            raise Conflict(
                "a unit of the offering is not known yet", code=RentalProblem.UNIT_UNKNOWN
            )
        return Equipment(
            lessor_id=offering.lessor_participant_id,
            appraised_value=sum((u.appraised_value for u in units), ZERO),
            offering_id=offering.id,
            kit_id=offering.kit_id,
            unit_ids=list(offering.unit_ids),
            category=offering.category,
            asset=None,
        )

    async def _leaseback_equipment(
        self, body: LeaseApplicationIn, lessee_id: uuid.UUID
    ) -> Equipment:
        """A sale-and-leaseback: the lessee's own robot, bought by the named lessor."""
        if body.offering_id is not None:
            raise Unprocessable(
                "a sale-and-leaseback leases the lessee's own robot, not an offering",
                field="offering_id",
            )
        if body.lessor_participant_id is None:
            raise Unprocessable(
                "a sale-and-leaseback names the lessor that buys the robot",
                field="lessor_participant_id",
            )
        if body.asset is None:
            raise Unprocessable("a sale-and-leaseback describes the robot sold", field="asset")
        if body.lessor_participant_id == lessee_id:
            raise Unprocessable(
                "the lessee cannot buy its own robot", field="lessor_participant_id"
            )
        lessor = await self.repo.participant(body.lessor_participant_id)
        if lessor is None or lessor[0] != "active":
            raise Unprocessable(
                "the lessor is not an active participant", field="lessor_participant_id"
            )
        asset = body.asset
        appraised = require_money(
            asset.appraised_value.amount, "asset.appraised_value", positive=True
        )
        asset_id = uuid7()
        return Equipment(
            lessor_id=body.lessor_participant_id,
            appraised_value=appraised,
            offering_id=None,
            kit_id=None,
            unit_ids=[asset_id],
            category=asset.category.value,
            asset={
                "id": str(asset_id),
                "category": asset.category.value,
                "serial_number": asset.serial_number,
                "description": asset.description,
                "purchase_price": f"{body.equipment_cost.amount:.2f}",
                "appraised_value": f"{appraised:.2f}",
                "seller_participant_id": str(lessee_id),
            },
        )

    async def _require_guarantor(
        self, guarantor: uuid.UUID, lessee_id: uuid.UUID, lessor_id: uuid.UUID
    ) -> None:
        """A third party: registered and active in the projection, neither lessee nor lessor."""
        field = "mitigation.residual_guarantor_participant_id"
        if guarantor in (lessee_id, lessor_id):
            raise Unprocessable(
                "the guarantor is a third party, neither the lessee nor the lessor", field=field
            )
        row = await self.repo.participant(guarantor)
        if row is None:
            raise Unprocessable("the guarantor is not a registered participant", field=field)
        if row[0] != "active":
            raise Unprocessable(f"the guarantor is not active ({row[0]})", field=field)

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
            states.require_settled(LeaseState(lease.state), action, outstanding)
        if action is LeaseAction.SIGN:
            lease.signed_on = now.date()
        if action is LeaseAction.RETURN_EQUIPMENT:
            lease.ended_on = now.date()
        elif lease.ended_on is None and action in ENDING_ACTIONS:
            lease.ended_on = lease.terminated_on or now.date()
        await self._step(lease, action, now)
        if action is LeaseAction.SIGN:
            await self._step(
                lease, LeaseAction.BILL_DOWN_PAYMENT, now, amount_due=lease.upfront_due
            )
        return lease

    async def record_financials(
        self, principal: Principal, lessor_id: uuid.UUID, net_assets: Decimal, as_of: date
    ) -> LessorFinancials:
        """A lessor's net assets, recorded by an operator or the lessor itself (others: 404)."""
        if not (principal.has("operator") or principal.participant_id == lessor_id):
            raise NotFound("lessor not found")
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
        step = states.transition(LeaseMode(lease.mode), LeaseState(lease.state), action)
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
            lease.state = states.transition(
                LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.APPROVE
            ).target.value
            return await self.publish(lease, events.LeaseApproved, now, risk_checks=checks)
        lease.state = states.transition(
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
        signed_on = lease.signed_on or lease.created_at.date()
        if accepted_on < signed_on:
            raise Unprocessable(
                f"rent cannot start before the lease was signed ({signed_on})",
                field="delivery_accepted_on",
            )
        states.transition(LeaseMode(lease.mode), LeaseState(lease.state), LeaseAction.ACTIVATE)
        states.require_activation_allowed(
            lease.upfront_due - lease.down_payment_paid, delivery_accepted=True
        )
        if lease.rate_type == "lpr_linked":
            assert lease.lpr_spread is not None
            lease.annual_rate = lpr(accepted_on, field="delivery_accepted_on") + lease.lpr_spread
        schedule = build_schedule(terms_of(lease, accepted_on))
        lease.start_date = accepted_on
        lease.schedule = schedule_rows(schedule)
        lease.apr = lease_yield(schedule).apr
        lease.activated_on = accepted_on
        repricings: list[floating.Repricing] = []
        if lease.rate_type == "lpr_linked":
            # A delivery accepted more than a year ago has anniversaries behind it already.
            lease.next_repricing_on = floating.first_repricing(accepted_on, lease.term_months)
            while lease.next_repricing_on is not None and lease.next_repricing_on <= now.date():
                repricings.append(floating.reprice_once(lease, None))
        basis = VatBasis(lease.vat_basis)
        if LeaseMode(lease.mode) is not LeaseMode.SERVICE:
            rows = [
                LeaseReceivable(
                    lease_id=lease.id,
                    kind=r.kind.value,
                    period=r.period,
                    due_date=r.due_date,
                    principal=r.principal,
                    interest=r.interest,
                    vat_rate=vat_rate(basis, r.due_date, field="delivery_accepted_on"),
                    penalty=ZERO,
                    principal_paid=ZERO,
                    interest_paid=ZERO,
                    penalty_paid=ZERO,
                    announced_due=False,
                    announced_paid=False,
                )
                for r in receivables_from_schedule(
                    floating.schedule_of(lease, terms_of(lease, accepted_on))
                )
            ]
            await self.repo.add(*rows)
        await self._step(lease, LeaseAction.ACTIVATE, now)
        for repricing in repricings:
            await floating.publish_repricing(self, lease, repricing, now)
        return lease

    def _new_lease(
        self,
        body: LeaseApplicationIn,
        terms: LeaseTerms,
        schedule: Schedule,
        lessee_id: uuid.UUID,
        equipment: Equipment,
        classification: Classification,
        basis: VatBasis,
        rate: Rate,
        now: datetime,
    ) -> Lease:
        return Lease(
            id=uuid7(),
            lessee_participant_id=lessee_id,
            lessor_participant_id=equipment.lessor_id,
            offering_id=equipment.offering_id,
            kit_id=equipment.kit_id,
            unit_ids=equipment.unit_ids,
            mode=body.mode.value,
            category=equipment.category,
            structure=body.structure,
            asset=equipment.asset,
            appraised_value=equipment.appraised_value,
            rate_type=body.rate_type,
            lpr_spread=rate.spread,
            next_repricing_on=None,
            classification=classification.kind.value,
            classification_criteria=classification.as_record(),
            vat_basis=basis.value,
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


@dataclass(frozen=True)
class Equipment:
    """What is leased and from whom: an offering's units, or a sale-and-leaseback's robot."""

    lessor_id: uuid.UUID
    appraised_value: Decimal
    offering_id: uuid.UUID | None
    kit_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    category: str
    asset: dict[str, Any] | None


def _outstanding(row: LeaseReceivable) -> Decimal:
    return (
        (row.principal - row.principal_paid)
        + (row.interest - row.interest_paid)
        + (row.penalty - row.penalty_paid)
    )
