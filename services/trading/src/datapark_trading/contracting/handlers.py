"""Projecting catalog's data product events into trading's listings.

Each event carries the whole product with all its venue listings. A row per venue listing is
upserted unless it already holds a newer ``aggseq`` (redelivery and replay never move it
back). When a listing stops or resumes taking orders, every running agreement on it follows
its own clause (continue, pause delivery, or terminate and refund).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.catalog_listings import (
    DataProductSnapshot,
    catalog_listing_events,
)
from datapark_eventing.consumer import Handler
from datapark_trading.contracting.service import AgreementService
from datapark_trading.listings.repository import ListingRepository
from datapark_trading.listings.rules import effective_state


async def project_data_product(
    session: AsyncSession, envelope: Envelope, payload: DataProductSnapshot
) -> None:
    repo = ListingRepository(session)
    before = {row.id: row for row in await repo.of_product(payload.product_id)}
    stale = any(row.aggseq >= envelope.aggseq for row in before.values())
    if stale:
        return
    changes = []
    for listing in payload.listings:
        old = before.get(listing.listing_id)
        was = None if old is None else effective_state(old.product_state, old.listing_state)
        now = effective_state(payload.state.value, listing.state.value)
        await repo.upsert(
            {
                "id": listing.listing_id,
                "product_id": payload.product_id,
                "provider_id": payload.owner_participant_id,
                "title": payload.title,
                "venue_code": listing.venue_code,
                "venue_fee_rate": listing.venue_fee_rate,
                "product_state": payload.state.value,
                "listing_state": listing.state.value,
                "price_terms": listing.price_terms.model_dump(mode="json"),
                "aggseq": envelope.aggseq,
                "updated_at": payload.occurred_at,
            }
        )
        if was is not None and was is not now:
            changes.append((listing.listing_id, was, now))
    at = datetime.now(UTC)
    for listing_id, was, now in changes:
        await AgreementService(session).on_listing_change(listing_id, was=was, now_state=now, at=at)


def listing_handlers() -> dict[str, Handler]:
    return {
        name: project_data_product
        for name, model in catalog_listing_events().items()
        if issubclass(model, DataProductSnapshot)
    }
