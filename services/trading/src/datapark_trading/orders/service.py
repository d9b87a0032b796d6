"""Placing an order: at the listing's own price, the agreement concluded and escrow locked at
once (or nothing at all: insufficient funds is a 422 and no order exists)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import trading as events
from datapark_contracts.ids import uuid7
from datapark_kit.errors import Unprocessable
from datapark_trading.agreements.codec import terms_to_json, terms_to_wire
from datapark_trading.contracting.service import AgreementService, AgreementView
from datapark_trading.listings.pricing import default_duration, order_pricing
from datapark_trading.listings.service import tradable_listing
from datapark_trading.orders.models import Order
from datapark_trading.orders.schemas import OrderCreate
from datapark_trading.partners.actor import Actor, require_trading_participant
from datapark_trading.terms.agreement import Origin, Terms
from datapark_trading.terms.policy import DelistingClause, UsagePolicy
from datapark_trading.webhooks.service import publish


class OrderService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def place(self, actor: Actor, data: OrderCreate) -> tuple[Order, AgreementView]:
        """Buy at the listing's own terms: the order, and the agreement it concluded with its
        escrow."""
        at = datetime.now(UTC)
        listing = await tradable_listing(self.session, data.listing_id, "order")
        consumer = actor.participant_id
        if consumer == listing.provider_id:
            raise Unprocessable("a provider cannot buy its own listing", field="listing_id")
        await require_trading_participant(self.session, consumer)
        await require_trading_participant(self.session, listing.provider_id)
        budget = None if data.budget is None else data.budget.amount
        pricing = order_pricing(listing.price_terms, periods=data.periods, budget=budget)
        p = data.policy
        duration = (
            timedelta(seconds=p.duration_seconds)
            if p.duration_seconds
            else default_duration(pricing, at)
        )
        terms = Terms(
            pricing=pricing,
            policy=UsagePolicy(
                purpose=p.purpose,
                permitted_uses=frozenset(p.permitted_uses),
                territory=frozenset(p.territory),
                duration=duration,
                max_calls=p.max_calls,
                max_records=p.max_records,
                on_delisting=DelistingClause(p.on_delisting),
            ),
        )
        order = Order(
            id=uuid7(),
            listing_id=listing.id,
            consumer_id=consumer,
            provider_id=listing.provider_id,
            placed_by=actor.partner_id or consumer,
            pricing_kind=terms_to_wire(terms).pricing.kind,
            terms=terms_to_json(terms),
            agreement_id=uuid7(),
            placed_at=at,
        )
        self.session.add(order)
        await self.session.flush()
        await publish(
            self.session,
            events.OrderPlaced(
                order_id=order.id,
                listing_id=listing.id,
                product_id=listing.product_id,
                venue_code=listing.venue_code,
                consumer_id=consumer,
                provider_id=listing.provider_id,
                placed_by=order.placed_by,
                terms=terms_to_wire(terms),
                agreement_id=order.agreement_id,
                occurred_at=at,
            ),
            parties=[consumer, listing.provider_id],
            occurred_at=at,
        )
        agreements = AgreementService(self.session)
        agreement = await agreements.conclude(
            agreement_id=order.agreement_id,
            listing=listing,
            consumer_id=consumer,
            terms=terms,
            origin=Origin.ORDER,
            origin_id=order.id,
            at=at,
        )
        (view,) = await agreements.views([agreement])
        return order, view
