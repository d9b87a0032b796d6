"""The fleet projection's subscriptions: catalog's unit, kit and offering snapshots.

Each handler runs in the consumer's transaction with the inbox row and makes one call to
:class:`~datapark_rental.fleet.service.FleetProjection`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.envelope import Envelope
from datapark_contracts.events import catalog_listings as catalog
from datapark_eventing.subscriptions import Subscriptions
from datapark_rental.fleet.service import FleetProjection

subscriptions = Subscriptions()


@subscriptions.subscribe(catalog.RobotUnitRegistered, catalog.RobotUnitChanged)
async def project_unit(
    session: AsyncSession, envelope: Envelope, payload: catalog.RobotUnitSnapshot
) -> None:
    await FleetProjection(session).unit(payload, aggseq=envelope.aggseq)


@subscriptions.subscribe(catalog.RobotKitRegistered, catalog.RobotKitChanged)
async def project_kit(
    session: AsyncSession, envelope: Envelope, payload: catalog.RobotKitSnapshot
) -> None:
    await FleetProjection(session).kit(payload, aggseq=envelope.aggseq)


@subscriptions.subscribe(
    catalog.RentalOfferingPublished,
    catalog.RentalOfferingChanged,
    catalog.RentalOfferingWithdrawn,
)
async def project_offering(
    session: AsyncSession, envelope: Envelope, payload: catalog.RentalOfferingSnapshot
) -> None:
    await FleetProjection(session).offering(payload, aggseq=envelope.aggseq)
