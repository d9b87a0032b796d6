"""Bookings' subscriptions: catalog's maintenance windows take (and give back) unit time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events import catalog_listings as catalog
from datapark_eventing.subscriptions import Subscriptions
from datapark_rental.bookings.maintenance import MaintenanceService

subscriptions = Subscriptions()


@subscriptions.subscribe(catalog.MaintenanceWindowScheduled)
async def maintenance_scheduled(
    session: AsyncSession, envelope: Envelope, payload: catalog.MaintenanceWindowScheduled
) -> None:
    await MaintenanceService(session).scheduled(payload, aggseq=envelope.aggseq)


@subscriptions.subscribe(catalog.MaintenanceWindowCancelled)
async def maintenance_cancelled(
    session: AsyncSession, envelope: Envelope, payload: catalog.MaintenanceWindowCancelled
) -> None:
    await MaintenanceService(session).cancelled(payload, aggseq=envelope.aggseq)
