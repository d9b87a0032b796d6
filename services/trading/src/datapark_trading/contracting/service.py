"""Use cases of agreements: conclude (and lock escrow), read, amend, terminate (and refund),
and what a listing change does to the running ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import trading as events
from datapark_contracts.events.catalog_listings import DataProductSnapshot
from datapark_kit.errors import NotFound
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_trading.agreements.codec import agreement_value, terms_to_json, terms_to_wire
from datapark_trading.agreements.models import AgreementRow
from datapark_trading.agreements.repository import AgreementRepository
from datapark_trading.listings.models import Listing
from datapark_trading.listings.service import project_product
from datapark_trading.partners.actor import Actor
from datapark_trading.settlement.models import EscrowLockRow
from datapark_trading.settlement.service import SettlementService
from datapark_trading.terms import agreement as ag
from datapark_trading.terms.agreement import Origin, Terms
from datapark_trading.terms.parties import Party
from datapark_trading.terms.policy import ListingEffect, ListingState
from datapark_trading.transfers.models import UsageMeterRow
from datapark_trading.transfers.service import TransferService
from datapark_trading.webhooks.service import publish


def snapshot(
    row: AgreementRow, event: type[events.AgreementSnapshot], at: datetime
) -> events.AgreementSnapshot:
    value = agreement_value(row)
    return event(
        agreement_id=row.id,
        listing_id=row.listing_id,
        product_id=row.product_id,
        provider_id=row.provider_id,
        consumer_id=row.consumer_id,
        terms=terms_to_wire(value.terms),
        origin=value.origin.value,
        origin_id=row.origin_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        amends=row.amends,
        superseded_by=row.superseded_by,
        status=value.status_at(at).value,
        terminated_by=row.terminated_by,
        termination_reason=row.termination_reason,
        occurred_at=at,
    )


@dataclass(frozen=True)
class AgreementView:
    """An agreement with its escrow lock and what the lock still holds, as of ``at``."""

    row: AgreementRow
    escrow: tuple[EscrowLockRow, Decimal] | None
    at: datetime


class AgreementService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AgreementRepository(session)
        self.settlement = SettlementService(session)
        self.transfers = TransferService(session)

    async def conclude(
        self,
        *,
        agreement_id: uuid.UUID,
        listing: Listing,
        consumer_id: uuid.UUID,
        terms: Terms,
        origin: Origin,
        origin_id: uuid.UUID,
        at: datetime,
        amends: uuid.UUID | None = None,
    ) -> AgreementRow:
        """Conclude the agreement and lock the buyer's money until it ends (422 if short)."""
        value = ag.conclude(
            agreement_id=agreement_id,
            listing_id=listing.id,
            provider_id=listing.provider_id,
            consumer_id=consumer_id,
            terms=terms,
            origin=origin,
            origin_id=origin_id,
            at=at,
            amends=amends,
        )
        row = AgreementRow(
            id=value.id,
            listing_id=listing.id,
            product_id=listing.product_id,
            provider_id=value.provider_id,
            consumer_id=value.consumer_id,
            terms=terms_to_json(terms),
            origin=origin.value,
            origin_id=origin_id,
            concluded_at=at,
            starts_at=value.starts_at,
            ends_at=value.ends_at,
            amends=amends,
        )
        await self.repo.add(row)
        self.session.add(
            UsageMeterRow(
                agreement_id=row.id,
                max_calls=terms.policy.max_calls,
                max_records=terms.policy.max_records,
            )
        )
        await self.session.flush()
        await self._publish(row, events.AgreementConcluded, at)
        await self.settlement.lock(
            value,
            amount=terms.pricing.lock_amount(),
            fee_rate=listing.venue_fee_rate,
            expires_at=value.ends_at,
            at=at,
        )
        return row

    async def get(self, actor: Actor, agreement_id: uuid.UUID) -> AgreementRow:
        row = await self.repo.get(agreement_id)
        if row is None:
            raise NotFound("agreement not found")
        actor.ensure_party(row.provider_id, row.consumer_id, what="agreement")
        return row

    async def page(
        self,
        actor: Actor,
        cursor: str | None,
        limit: int,
        *,
        status: str | None = None,
        listing_id: uuid.UUID | None = None,
        at: datetime,
    ) -> tuple[list[AgreementRow], str | None]:
        """The agreements the actor is a side of (all for operators and auditors), oldest first."""
        rows = await self.repo.page(
            party=None if actor.sees_all else actor.participant_id,
            after=cursor_id(cursor),
            limit=limit + 1,
            status=status,
            listing_id=listing_id,
            now=at,
        )
        return keyset_page(rows, limit, lambda row: row.id)

    async def views(self, rows: Sequence[AgreementRow]) -> list[AgreementView]:
        """Agreements with their escrow view: one query for the escrow of every row."""
        escrows = await self.settlement.escrows_of([row.id for row in rows])
        now = datetime.now(UTC)
        return [AgreementView(row, escrows.get(row.id), now) for row in rows]

    async def view(self, actor: Actor, agreement_id: uuid.UUID) -> AgreementView:
        """One agreement its parties (or a partner acting for one, operators, auditors) see."""
        return (await self.views([await self.get(actor, agreement_id)]))[0]

    async def page_views(
        self,
        actor: Actor,
        cursor: str | None,
        limit: int,
        *,
        status: str | None = None,
        listing_id: uuid.UUID | None = None,
    ) -> tuple[list[AgreementView], str | None]:
        """A page of the actor's agreements with their escrow views."""
        rows, next_cursor = await self.page(
            actor, cursor, limit, status=status, listing_id=listing_id, at=datetime.now(UTC)
        )
        return await self.views(rows), next_cursor

    async def supersede(self, old_id: uuid.UUID, new_id: uuid.UUID, at: datetime) -> None:
        """Mark a running agreement as amended by ``new_id`` and refund what its lock holds."""
        row = await self._locked(old_id)
        value = agreement_value(row)
        value.require_running("amend", at)
        row.superseded_by = new_id
        await self.session.flush()
        await self._publish(row, events.AgreementSuperseded, at)
        await self.transfers.terminate_all(value, reason=f"amended by agreement {new_id}", at=at)
        await self.settlement.refund(old_id, at, f"agreement amended by {new_id}")

    async def terminate(
        self, actor: Actor, agreement_id: uuid.UUID, reason: str, at: datetime
    ) -> AgreementView:
        """Either side ends a running agreement with a reason; unused escrow goes back. The
        agreement as it now stands, with its escrow."""
        row = await self._locked(agreement_id)
        actor.ensure_acting_party(row.provider_id, row.consumer_id, what="agreement")
        party = agreement_value(row).party_of(actor.participant_id)
        (view,) = await self.views([await self._terminate(row, party, reason, at)])
        return view

    async def _terminate(
        self, row: AgreementRow, by: Party | None, reason: str, at: datetime
    ) -> AgreementRow:
        ended = ag.terminate(agreement_value(row), by=by, reason=reason, at=at)
        assert ended.termination is not None
        row.terminated_at = at
        row.terminated_by = None if by is None else by.value
        row.termination_reason = ended.termination.reason
        await self.session.flush()
        await self._publish(row, events.AgreementTerminated, at)
        await self.transfers.terminate_all(ended, reason=f"agreement terminated: {reason}", at=at)
        await self.settlement.refund(row.id, at, f"agreement terminated: {reason}")
        return row

    async def product_snapshot(self, payload: DataProductSnapshot, *, aggseq: int) -> None:
        """Keep catalog's product in the listing projection; when one of its listings stops or
        resumes taking orders, every running agreement on it follows its own clause."""
        changes = await project_product(self.session, payload, aggseq=aggseq)
        at = datetime.now(UTC)
        for change in changes:
            await self.on_listing_change(
                change.listing_id, was=change.was, now_state=change.now, at=at
            )

    async def on_listing_change(
        self, listing_id: uuid.UUID, *, was: ListingState, now_state: ListingState, at: datetime
    ) -> None:
        """Apply each running agreement's own clause to a listing's suspension or delisting."""
        for row in await self.repo.running_for_listing(listing_id, at):
            value = agreement_value(row)
            effect = value.terms.policy.effect_of(now_state, was=was)
            if effect is ListingEffect.TERMINATE:
                await self._terminate(row, None, f"listing {now_state.value}", at)
            elif effect is ListingEffect.SUSPEND_DELIVERY:
                await self.transfers.suspend_all(value, at=at)
            elif effect is ListingEffect.RESUME_DELIVERY:
                await self.transfers.resume_all(value, at=at)

    async def _locked(self, agreement_id: uuid.UUID) -> AgreementRow:
        row = await self.repo.get(agreement_id, for_update=True)
        if row is None:
            raise NotFound("agreement not found")
        return row

    async def _publish(
        self, row: AgreementRow, event: type[events.AgreementSnapshot], at: datetime
    ) -> None:
        await publish(
            self.session,
            snapshot(row, event, at),
            parties=[row.provider_id, row.consumer_id],
            occurred_at=at,
        )
