"""All SQL about the robot fleet and rental offerings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet.models import (
    MaintenanceWindowRow,
    OfferingUnitRow,
    RentalOfferingRow,
    RobotKitRow,
    RobotModelRow,
    RobotUnitRow,
)


class FleetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def model(self, model_id: uuid.UUID) -> RobotModelRow | None:
        return await self.session.get(RobotModelRow, model_id)

    async def unit(self, unit_id: uuid.UUID, *, for_update: bool = False) -> RobotUnitRow | None:
        query = select(RobotUnitRow).where(RobotUnitRow.id == unit_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def units(self, unit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RobotUnitRow]:
        if not unit_ids:
            return {}
        rows = await self.session.execute(
            select(RobotUnitRow).where(RobotUnitRow.id.in_(list(unit_ids)))
        )
        return {u.id: u for u in rows.scalars()}

    async def unit_by_serial(self, serial: str) -> RobotUnitRow | None:
        query = select(RobotUnitRow).where(RobotUnitRow.serial_number == serial)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def kit(self, kit_id: uuid.UUID) -> RobotKitRow | None:
        return await self.session.get(RobotKitRow, kit_id)

    async def window(self, window_id: uuid.UUID) -> MaintenanceWindowRow | None:
        query = select(MaintenanceWindowRow).where(MaintenanceWindowRow.id == window_id)
        return (await self.session.execute(query.with_for_update())).scalar_one_or_none()

    async def offering(
        self, offering_id: uuid.UUID, *, for_update: bool = False
    ) -> RentalOfferingRow | None:
        query = select(RentalOfferingRow).where(RentalOfferingRow.id == offering_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def published_offerings_with(
        self, unit_ids: Sequence[uuid.UUID], *, kits_only: bool = False
    ) -> list[RentalOfferingRow]:
        """Published offerings (or only kit offerings) that hold any of ``unit_ids``."""
        query = select(RentalOfferingRow).where(
            RentalOfferingRow.state == "published",
            RentalOfferingRow.unit_ids.overlap(list(unit_ids)),
        )
        if kits_only:
            query = query.where(RentalOfferingRow.target_kind == "kit")
        return list((await self.session.execute(query)).scalars())

    async def offering_units(self, offering_id: uuid.UUID) -> list[OfferingUnitRow]:
        query = select(OfferingUnitRow).where(OfferingUnitRow.offering_id == offering_id)
        return list((await self.session.execute(query)).scalars())
