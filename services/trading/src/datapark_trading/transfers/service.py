"""Use cases of delivery: request, start (issue the access grant), suspend, resume, confirm
(and settle), terminate (and revoke); metered use counted against the policy and the lock."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import trading as events
from datapark_contracts.ids import uuid7
from datapark_contracts.money import Money as WireMoney
from datapark_kit.errors import Forbidden, NotFound
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_trading.agreements.codec import agreement_value
from datapark_trading.agreements.models import AgreementRow
from datapark_trading.agreements.repository import AgreementRepository
from datapark_trading.partners.actor import Actor
from datapark_trading.problems import TradingProblem
from datapark_trading.settlement.models import EscrowLockRow
from datapark_trading.settlement.repository import LedgerRepository
from datapark_trading.settlement.service import SettlementService
from datapark_trading.terms.agreement import Agreement
from datapark_trading.terms.parties import Party, Termination
from datapark_trading.terms.pricing import Metered, Subscription
from datapark_trading.transfers import states as tr
from datapark_trading.transfers.metering import UsageMeter, UsageReport, record
from datapark_trading.transfers.models import TransferRow, UsageMeterRow, UsageRecordRow
from datapark_trading.transfers.repository import TransferRepository
from datapark_trading.transfers.states import AccessGrant, Confirmation, ConfirmedBy, Transfer
from datapark_trading.webhooks.service import publish

LISTING_SUSPENSION = "listing suspended"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def transfer_value(row: TransferRow) -> Transfer:
    grant = None
    if row.grant_issued_at is not None and row.grant_expires_at is not None:
        grant = AccessGrant(
            token=row.token_hash or "",
            endpoint=row.endpoint or "",
            issued_at=row.grant_issued_at,
            expires_at=row.grant_expires_at,
            revoked_at=row.grant_revoked_at,
        )
    confirmation = None
    if row.confirmed_by is not None and row.confirmed_at is not None:
        confirmation = Confirmation(ConfirmedBy(row.confirmed_by), row.confirmed_at)
    termination = None
    if row.termination_reason is not None and row.terminated_at is not None:
        by = None if row.terminated_by is None else Party(row.terminated_by)
        termination = Termination(row.termination_reason, row.terminated_at, by)
    return Transfer(
        id=row.id,
        agreement_id=row.agreement_id,
        state=tr.TransferState(row.state),
        requested_at=row.requested_at,
        confirm_after=timedelta(seconds=row.confirm_after_seconds),
        updated_at=row.updated_at,
        started_at=row.started_at,
        grant=grant,
        suspension=row.suspension,
        confirmation=confirmation,
        termination=termination,
    )


def _store(row: TransferRow, t: Transfer) -> None:
    row.state = t.state.value
    row.updated_at = t.updated_at
    row.started_at = t.started_at
    row.suspension = t.suspension
    if t.grant is not None:
        row.endpoint = t.grant.endpoint
        row.grant_issued_at = t.grant.issued_at
        row.grant_expires_at = t.grant.expires_at
        row.grant_revoked_at = t.grant.revoked_at
    if t.confirmation is not None:
        row.confirmed_by = t.confirmation.by.value
        row.confirmed_at = t.confirmation.at
    if t.termination is not None:
        row.termination_reason = t.termination.reason
        row.terminated_by = None if t.termination.by is None else t.termination.by.value
        row.terminated_at = t.termination.at


EVENT_OF: dict[tr.TransferState, type[events.TransferSnapshot]] = {
    tr.TransferState.REQUESTED: events.TransferRequested,
    tr.TransferState.STARTED: events.TransferStarted,
    tr.TransferState.SUSPENDED: events.TransferSuspended,
    tr.TransferState.COMPLETED: events.TransferCompleted,
    tr.TransferState.TERMINATED: events.TransferTerminated,
}


class TransferService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = TransferRepository(session)
        self.agreements = AgreementRepository(session)

    async def _agreement(self, agreement_id: uuid.UUID) -> AgreementRow:
        row = await self.agreements.get(agreement_id)
        if row is None:
            raise NotFound("agreement not found")
        return row

    async def _transfer(
        self, actor: Actor | None, transfer_id: uuid.UUID
    ) -> tuple[TransferRow, AgreementRow, Party | None]:
        row = await self.repo.get(transfer_id, for_update=True)
        if row is None:
            raise NotFound("transfer not found")
        agreement = await self._agreement(row.agreement_id)
        if actor is None:
            return row, agreement, None
        actor.ensure_acting_party(agreement.provider_id, agreement.consumer_id, what="transfer")
        return row, agreement, agreement_value(agreement).party_of(actor.participant_id)

    async def get(self, actor: Actor, transfer_id: uuid.UUID) -> TransferRow:
        row = await self.repo.get(transfer_id)
        if row is None:
            raise NotFound("transfer not found")
        agreement = await self._agreement(row.agreement_id)
        actor.ensure_party(agreement.provider_id, agreement.consumer_id, what="transfer")
        return row

    async def page(
        self, actor: Actor, cursor: str | None, limit: int, *, state: str | None = None
    ) -> tuple[list[TransferRow], str | None]:
        """The deliveries under agreements the actor is a side of (all for operators and
        auditors), oldest first."""
        rows = await self.repo.page(
            party=None if actor.sees_all else actor.participant_id,
            after=cursor_id(cursor),
            limit=limit + 1,
            state=state,
        )
        return keyset_page(rows, limit, lambda row: row.id)

    async def request(
        self, actor: Actor, agreement_id: uuid.UUID, confirm_after: timedelta, at: datetime
    ) -> TransferRow:
        agreement = await self._agreement(agreement_id)
        actor.ensure_acting_party(agreement.provider_id, agreement.consumer_id, what="agreement")
        value = agreement_value(agreement)
        by = _acting(value.party_of(actor.participant_id))
        t = tr.request(
            transfer_id=uuid7(), agreement=value, by=by, at=at, confirm_after=confirm_after
        )
        row = TransferRow(
            id=t.id,
            agreement_id=agreement.id,
            state=t.state.value,
            requested_at=at,
            confirm_after_seconds=int(confirm_after.total_seconds()),
            updated_at=at,
        )
        await self.repo.add(row)
        await self._publish(row, agreement, at)
        return row

    async def start(
        self,
        actor: Actor,
        transfer_id: uuid.UUID,
        endpoint: str,
        grant_ttl: timedelta,
        at: datetime,
    ) -> tuple[TransferRow, str]:
        """Start delivery; returns the row and the access token (shown this once only)."""
        row, agreement, by = await self._transfer(actor, transfer_id)
        token = secrets.token_urlsafe(32)
        t = tr.start(
            transfer_value(row),
            agreement=agreement_value(agreement),
            by=_acting(by),
            token=token,
            endpoint=endpoint,
            at=at,
            grant_ttl=grant_ttl,
        )
        _store(row, t)
        row.token_hash = token_hash(token)
        await self.session.flush()
        await self._publish(row, agreement, at)
        return row, token

    async def suspend(
        self, actor: Actor, transfer_id: uuid.UUID, reason: str, at: datetime
    ) -> TransferRow:
        row, agreement, _ = await self._transfer(actor, transfer_id)
        _store(row, tr.suspend(transfer_value(row), reason=reason, at=at))
        await self._publish(row, agreement, at)
        return row

    async def resume(self, actor: Actor, transfer_id: uuid.UUID, at: datetime) -> TransferRow:
        row, agreement, _ = await self._transfer(actor, transfer_id)
        value = agreement_value(agreement)
        _store(row, tr.resume(transfer_value(row), agreement=value, at=at))
        await self._publish(row, agreement, at, events.TransferResumed)
        return row

    async def confirm(self, actor: Actor, transfer_id: uuid.UUID, at: datetime) -> TransferRow:
        """The consumer confirms receipt; the escrow is released to the seller."""
        row, agreement, by = await self._transfer(actor, transfer_id)
        _store(row, tr.confirm(transfer_value(row), by=_acting(by), at=at))
        await self._publish(row, agreement, at)
        await self._settle(agreement, at, "delivery confirmed by the consumer")
        return row

    async def auto_confirm(self, transfer_id: uuid.UUID, now: datetime) -> TransferRow | None:
        row, agreement, _ = await self._transfer(None, transfer_id)
        t = transfer_value(row)
        if not tr.is_due_for_auto_confirmation(t, now):
            return None
        _store(row, tr.auto_confirm(t, now=now))
        await self._publish(row, agreement, now)
        await self._settle(agreement, now, "delivery confirmed automatically")
        return row

    async def terminate(
        self, actor: Actor, transfer_id: uuid.UUID, reason: str, at: datetime
    ) -> TransferRow:
        row, agreement, by = await self._transfer(actor, transfer_id)
        _store(row, tr.terminate(transfer_value(row), by=by, reason=reason, at=at))
        await self._publish(row, agreement, at)
        return row

    async def terminate_all(self, agreement: Agreement, *, reason: str, at: datetime) -> None:
        """End every open delivery of an agreement and revoke its grants (venue's act)."""
        open_states = ("REQUESTED", "STARTED", "SUSPENDED")
        agreement_row = await self._agreement(agreement.id)
        for row in await self.repo.of_agreement(agreement.id, open_states):
            _store(row, tr.terminate(transfer_value(row), by=None, reason=reason, at=at))
            await self._publish(row, agreement_row, at)

    async def suspend_all(self, agreement: Agreement, *, at: datetime) -> None:
        agreement_row = await self._agreement(agreement.id)
        for row in await self.repo.of_agreement(agreement.id, ("STARTED",)):
            _store(row, tr.suspend(transfer_value(row), reason=LISTING_SUSPENSION, at=at))
            await self._publish(row, agreement_row, at)

    async def resume_all(self, agreement: Agreement, *, at: datetime) -> None:
        """Resume the deliveries the venue paused for a listing suspension (not the others)."""
        agreement_row = await self._agreement(agreement.id)
        for row in await self.repo.of_agreement(agreement.id, ("SUSPENDED",)):
            if row.suspension == LISTING_SUSPENSION:
                _store(row, tr.resume(transfer_value(row), agreement=agreement, at=at))
                await self._publish(row, agreement_row, at, events.TransferResumed)

    async def _settle(self, agreement: AgreementRow, at: datetime, reason: str) -> None:
        """On confirmed receipt a fixed price pays the seller what the lock holds; a
        subscription pays the periods begun so far (the sweeper pays each later one as it
        begins); metered use was paid as it happened (what is unused goes back at the end)."""
        value = agreement_value(agreement)
        settlement = SettlementService(self.session)
        if isinstance(value.terms.pricing, Subscription):
            await settlement.settle_subscription(value, at)
            return
        if isinstance(value.terms.pricing, Metered):
            return
        lock: EscrowLockRow | None = await LedgerRepository(self.session).lock_of(agreement.id)
        if lock is not None and lock.status == "held":
            await settlement.release(agreement.id, at, reason)

    async def settle_subscription(self, agreement_id: uuid.UUID, now: datetime) -> Decimal | None:
        return await SettlementService(self.session).settle_subscription(
            agreement_value(await self._agreement(agreement_id)), now
        )

    async def record_usage(
        self,
        actor: Actor,
        *,
        token: str,
        report: UsageReport,
        use: str,
        region: str,
        at: datetime,
    ) -> tuple[UsageRecordRow, UsageMeterRow]:
        """Count use under a grant and claim its charge from escrow, or refuse it whole."""
        row = await self.repo.by_token_hash(token_hash(token))
        if row is None:
            raise NotFound("access grant not found")
        agreement = await self._agreement(row.agreement_id)
        if not actor.sees_all and actor.participant_id != agreement.provider_id:
            raise Forbidden(
                "only the provider reports use of its deliveries", code=TradingProblem.WRONG_PARTY
            )
        transfer_value(row).require_usable(at)
        value = agreement_value(agreement)
        value.require_running("use", at)
        value.terms.policy.check_use(use=use, region=region)
        meter_row = await self.repo.meter(agreement.id)
        assert meter_row is not None
        meter = UsageMeter(
            calls=meter_row.calls,
            records=meter_row.records,
            megabytes=meter_row.megabytes,
            month=meter_row.month,
            month_units=meter_row.month_units,
            charged=meter_row.charged,
        )
        metering = record(
            meter, report, policy=value.terms.policy, pricing=value.terms.pricing, at=at
        )
        tx_id = None
        if metering.charge > 0:
            tx = await SettlementService(self.session).claim(
                agreement.id, metering.charge, at, f"metered use under transfer {row.id}"
            )
            tx_id = tx.id
        new = metering.meter
        meter_row.calls, meter_row.records, meter_row.megabytes = (
            new.calls,
            new.records,
            new.megabytes,
        )
        meter_row.month, meter_row.month_units, meter_row.charged = (
            new.month,
            new.month_units,
            new.charged,
        )
        usage = UsageRecordRow(
            id=uuid7(),
            agreement_id=agreement.id,
            transfer_id=row.id,
            calls=report.calls,
            records=report.records,
            megabytes=report.megabytes,
            use=use,
            region=region,
            charge=metering.charge,
            ledger_transaction_id=tx_id,
            recorded_at=at,
        )
        await self.repo.add(usage)
        await publish(
            self.session,
            events.UsageRecorded(
                agreement_id=agreement.id,
                transfer_id=row.id,
                calls=report.calls,
                records=report.records,
                megabytes=report.megabytes,
                total_calls=new.calls,
                total_records=new.records,
                total_megabytes=new.megabytes,
                charge=WireMoney(amount=metering.charge),
                occurred_at=at,
            ),
            parties=[agreement.provider_id, agreement.consumer_id],
            occurred_at=at,
        )
        return usage, meter_row

    async def _publish(
        self,
        row: TransferRow,
        agreement: AgreementRow,
        at: datetime,
        event: type[events.TransferSnapshot] | None = None,
    ) -> None:
        await self.session.flush()
        t = transfer_value(row)
        await publish(
            self.session,
            (event or EVENT_OF[t.state])(
                transfer_id=row.id,
                agreement_id=row.agreement_id,
                provider_id=agreement.provider_id,
                consumer_id=agreement.consumer_id,
                state=t.state.value,
                endpoint=row.endpoint,
                grant_expires_at=row.grant_expires_at,
                grant_revoked_at=row.grant_revoked_at,
                confirm_due_at=t.confirm_due_at,
                suspension=row.suspension,
                confirmed_by=row.confirmed_by,
                termination_reason=row.termination_reason,
                occurred_at=at,
            ),
            parties=[agreement.provider_id, agreement.consumer_id],
            occurred_at=at,
        )


def _acting(party: Party | None) -> Party:
    """The side a party acts for (ensure_acting_party has made sure there is one)."""
    if party is None:  # pragma: no cover - guarded by Actor.ensure_acting_party
        raise NotFound("transfer not found")
    return party
