"""Use cases of negotiations: each move loads the negotiation under a row lock, lets the pure
state machine decide, stores the result and publishes the move; finalizing concludes the
agreement (and locks escrow), amending supersedes the old one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import trading as events
from datapark_contracts.events.trading import Terms as WireTerms
from datapark_contracts.ids import uuid7
from datapark_kit.errors import NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_trading.agreements.codec import (
    agreement_value,
    terms_from_json,
    terms_from_wire,
    terms_to_json,
    terms_to_wire,
)
from datapark_trading.agreements.repository import AgreementRepository
from datapark_trading.contracting.service import AgreementService
from datapark_trading.listings.service import tradable_listing
from datapark_trading.negotiations import states as ns
from datapark_trading.negotiations.models import NegotiationRow, OfferRow
from datapark_trading.negotiations.repository import NegotiationRepository
from datapark_trading.negotiations.schemas import NegotiationCreate
from datapark_trading.negotiations.states import Approval, Negotiation, Offer
from datapark_trading.partners.actor import Actor, require_trading_participant
from datapark_trading.terms.agreement import Origin
from datapark_trading.terms.parties import Party, Termination
from datapark_trading.webhooks.service import publish


class NegotiationView(NamedTuple):
    """A negotiation as its API shows it: the row, its rounds of terms, and what it waits for."""

    row: NegotiationRow
    offers: list[OfferRow]

    @property
    def waiting_for(self) -> str:
        return negotiation_value(self.row, self.offers).waiting_for()


def negotiation_value(row: NegotiationRow, offers: list[OfferRow]) -> Negotiation:
    approval = None
    if row.approved_round is not None and row.approver and row.approved_at:
        approval = Approval(row.approved_round, row.approver, row.approved_at)
    termination = None
    if row.termination_reason is not None and row.terminated_at is not None:
        by = None if row.terminated_by is None else Party(row.terminated_by)
        termination = Termination(row.termination_reason, row.terminated_at, by)
    return Negotiation(
        id=row.id,
        listing_id=row.listing_id,
        provider_id=row.provider_id,
        consumer_id=row.consumer_id,
        state=ns.NegotiationState(row.state),
        offers=tuple(
            Offer(o.round, Party(o.offered_by), terms_from_json(o.terms), o.offered_at)
            for o in offers
        ),
        response_window=timedelta(seconds=row.response_window_seconds),
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        requires_approval=row.requires_approval,
        approval=approval,
        agreement_id=row.agreement_id,
        amends=row.amends,
        termination=termination,
    )


class NegotiationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = NegotiationRepository(session)

    async def open(self, actor: Actor, data: NegotiationCreate) -> NegotiationView:
        at = datetime.now(UTC)
        listing = await tradable_listing(self.session, data.listing_id, "negotiate")
        terms = terms_from_wire(data.terms.to_wire())
        if actor.participant_id == listing.provider_id:
            if data.consumer_id is None:
                raise Unprocessable("an offer names the consumer it is for", field="consumer_id")
            opener, consumer = ns.offer, data.consumer_id
        else:
            opener, consumer = ns.request, actor.participant_id
        await require_trading_participant(self.session, consumer)
        await require_trading_participant(self.session, listing.provider_id)
        if data.amends is not None:
            old = await AgreementRepository(self.session).get(data.amends)
            if (
                old is None
                or {old.provider_id, old.consumer_id}
                != {
                    listing.provider_id,
                    consumer,
                }
                or old.listing_id != listing.id
            ):
                raise NotFound("agreement to amend not found")
            agreement_value(old).require_running("amend", at)
        n = opener(
            negotiation_id=uuid7(),
            listing_id=listing.id,
            provider_id=listing.provider_id,
            consumer_id=consumer,
            terms=terms,
            at=at,
            response_window=timedelta(seconds=data.response_window_seconds),
            requires_approval=data.requires_approval,
            amends=data.amends,
        )
        row = NegotiationRow(
            id=n.id,
            listing_id=n.listing_id,
            provider_id=n.provider_id,
            consumer_id=n.consumer_id,
            state=n.state.value,
            requires_approval=n.requires_approval,
            response_window_seconds=data.response_window_seconds,
            updated_at=at,
            expires_at=n.expires_at,
            amends=n.amends,
            created_at=at,
        )
        await self.repo.add(row)
        offers = await self._store(row, [], n)
        event = (
            events.NegotiationRequested if n.state is ns.S.REQUESTED else events.NegotiationOffered
        )
        by = n.current_offer.by
        await self._publish(row, n, event, by, at)
        return NegotiationView(row, offers)

    async def get(self, actor: Actor, negotiation_id: uuid.UUID) -> NegotiationView:
        row = await self.repo.get(negotiation_id)
        if row is None:
            raise NotFound("negotiation not found")
        actor.ensure_party(row.provider_id, row.consumer_id, what="negotiation")
        return NegotiationView(row, list(await self.repo.offers(row.id)))

    async def page(
        self, actor: Actor, cursor: str | None, limit: int, *, state: str | None = None
    ) -> tuple[list[NegotiationView], str | None]:
        """The negotiations the actor is a side of (all for operators and auditors), oldest
        first, each with its offers."""
        rows = await self.repo.page(
            party=None if actor.sees_all else actor.participant_id,
            after=cursor_id(cursor),
            limit=limit + 1,
            state=state,
        )
        items, next_cursor = keyset_page(rows, limit, lambda row: row.id)
        offers = await self.repo.offers_of([row.id for row in items])
        return [NegotiationView(row, offers[row.id]) for row in items], next_cursor

    async def _load(
        self, actor: Actor | None, negotiation_id: uuid.UUID
    ) -> tuple[NegotiationRow, list[OfferRow], Negotiation, Party]:
        row = await self.repo.get(negotiation_id, for_update=True)
        if row is None:
            raise NotFound("negotiation not found")
        offers = list(await self.repo.offers(row.id))
        n = negotiation_value(row, offers)
        if actor is None:
            return row, offers, n, Party.PROVIDER
        party = n.party_of(actor.participant_id)
        if party is None:
            raise NotFound("negotiation not found")
        return row, offers, n, party

    async def counter(
        self, actor: Actor, negotiation_id: uuid.UUID, terms: WireTerms
    ) -> NegotiationView:
        at = datetime.now(UTC)
        row, offers, n, party = await self._load(actor, negotiation_id)
        moved = ns.counter(n, by=party, terms=terms_from_wire(terms), at=at)
        offers = await self._store(row, offers, moved)
        event = (
            events.NegotiationCounterOffered
            if party is Party.PROVIDER
            else events.NegotiationCounterRequested
        )
        await self._publish(row, moved, event, party, at)
        return NegotiationView(row, offers)

    async def move(
        self,
        actor: Actor,
        negotiation_id: uuid.UUID,
        action: ns.Action,
        *,
        reason: str | None = None,
        approver: str | None = None,
    ) -> NegotiationView:
        """accept, approve, agree, verify, finalize or terminate."""
        at = datetime.now(UTC)
        row, offers, n, party = await self._load(actor, negotiation_id)
        extra: dict[str, str] = {}
        event: type[events.NegotiationSnapshot]
        if action is ns.Action.ACCEPT:
            moved, event = ns.accept(n, by=party, at=at), events.NegotiationAccepted
        elif action is ns.Action.APPROVE:
            name = approver or actor.principal.client_id
            moved, event = ns.approve(n, by=party, approver=name, at=at), events.NegotiationApproved
            extra["approver"] = name
        elif action is ns.Action.AGREE:
            moved = ns.agree(n, by=party, agreement_id=uuid7(), at=at)
            event = events.NegotiationAgreed
        elif action is ns.Action.VERIFY:
            moved, event = ns.verify(n, by=party, at=at), events.NegotiationVerified
        elif action is ns.Action.FINALIZE:
            moved, event = ns.finalize(n, by=party, at=at), events.NegotiationFinalized
        else:
            moved = ns.terminate(n, by=party, reason=reason or "", at=at)
            event = events.NegotiationTerminated
        offers = await self._store(row, offers, moved)
        await self._publish(row, moved, event, party, at, **extra)
        if moved.state is ns.S.FINALIZED:
            await self._conclude(moved, at)
        return NegotiationView(row, offers)

    async def expire(self, negotiation_id: uuid.UUID, now: datetime) -> NegotiationRow | None:
        row, offers, n, _ = await self._load(None, negotiation_id)
        if not ns.is_due_to_expire(n, now):
            return None
        moved = ns.expire(n, now=now)
        await self._store(row, offers, moved)
        await self._publish(row, moved, events.NegotiationExpired, None, now)
        return row

    async def _conclude(self, n: Negotiation, at: datetime) -> None:
        listing = await tradable_listing(self.session, n.listing_id, "finalize")
        assert n.agreement_id is not None
        agreements = AgreementService(self.session)
        if n.amends is not None:
            await agreements.supersede(n.amends, n.agreement_id, at)
        await agreements.conclude(
            agreement_id=n.agreement_id,
            listing=listing,
            consumer_id=n.consumer_id,
            terms=n.current_offer.terms,
            origin=Origin.NEGOTIATION,
            origin_id=n.id,
            at=at,
            amends=n.amends,
        )

    async def _store(
        self, row: NegotiationRow, offers: list[OfferRow], n: Negotiation
    ) -> list[OfferRow]:
        row.state = n.state.value
        row.updated_at = n.updated_at
        row.expires_at = n.expires_at
        row.agreement_id = n.agreement_id
        if n.approval is not None:
            row.approved_round = n.approval.round
            row.approver = n.approval.approver
            row.approved_at = n.approval.at
        if n.termination is not None:
            row.termination_reason = n.termination.reason
            row.terminated_by = None if n.termination.by is None else n.termination.by.value
            row.terminated_at = n.termination.at
        await self.session.flush()
        stored = list(offers)
        for offer in n.offers[len(offers) :]:
            new = OfferRow(
                negotiation_id=row.id,
                round=offer.round,
                offered_by=offer.by.value,
                terms=terms_to_json(offer.terms),
                offered_at=offer.at,
            )
            await self.repo.add(new)
            stored.append(new)
        return stored

    async def _publish(
        self,
        row: NegotiationRow,
        n: Negotiation,
        event: type[events.NegotiationSnapshot],
        by: Party | None,
        at: datetime,
        **extra: str,
    ) -> None:
        offer = n.current_offer
        await publish(
            self.session,
            event(
                negotiation_id=n.id,
                listing_id=n.listing_id,
                provider_id=n.provider_id,
                consumer_id=n.consumer_id,
                state=n.state.value,
                round=offer.round,
                offered_by=offer.by.value,
                terms=terms_to_wire(offer.terms),
                requires_approval=n.requires_approval,
                approved_round=None if n.approval is None else n.approval.round,
                agreement_id=n.agreement_id,
                amends=n.amends,
                expires_at=n.expires_at,
                waiting_for=n.waiting_for(),
                acted_by=None if by is None else by.value,
                termination_reason=None if n.termination is None else n.termination.reason,
                occurred_at=at,
                **extra,
            ),
            parties=[n.provider_id, n.consumer_id],
            occurred_at=at,
        )
