"""Trading's subscriptions to catalog's data products (catalog.listings.v1).

Each event carries the whole product with all its venue listings; the agreement service keeps
the listing projection and applies each running agreement's clause when a listing stops or
resumes taking orders (continue, pause delivery, or terminate and refund).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.catalog_listings import (
    DataProductSnapshot,
    catalog_listing_events,
)
from datapark_eventing.subscriptions import Subscriptions
from datapark_trading.contracting.service import AgreementService

subscriptions = Subscriptions()


async def project_data_product(
    session: AsyncSession, envelope: Envelope, payload: DataProductSnapshot
) -> None:
    await AgreementService(session).product_snapshot(payload, aggseq=envelope.aggseq)


subscriptions.subscribe(
    *(
        model
        for model in catalog_listing_events().values()
        if issubclass(model, DataProductSnapshot)
    )
)(project_data_product)
