"""All SQL of the fleet projection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_kit.db import newer_row_upsert, table_of
from datapark_rental.fleet.models import FleetKit, FleetUnit, MaintenanceWindow, Offering

# Built once (read on every booking hold), the ids bound at execution.
_UNITS = (
    select(FleetUnit)
    .where(FleetUnit.id == any_(bindparam("unit_ids", type_=ARRAY(UUID(as_uuid=True)))))
    .order_by(FleetUnit.id)
)

_OFFERING_AND_UNITS = (
    select(Offering, FleetUnit)
    .outerjoin(FleetUnit, FleetUnit.id == any_(Offering.unit_ids))
    .where(Offering.id == bindparam("offering_id", type_=UUID(as_uuid=True)))
    .order_by(FleetUnit.id)
)


class FleetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, model: type[Any], row_id: uuid.UUID, values: dict[str, Any]) -> bool:
        """Insert or replace the row unless it already holds a newer ``aggseq``.

        Returns whether the row changed. One constant statement per table and set of columns,
        compiled once per process (``newer_row_upsert``; #14).
        """
        statement = newer_row_upsert(table_of(model), tuple(values), returning=("id",))
        result = await self.session.execute(statement, {"id": row_id, **values})
        return result.first() is not None

    async def offering(self, offering_id: uuid.UUID) -> Offering | None:
        return await self.session.get(Offering, offering_id)

    async def offering_and_units(
        self, offering_id: uuid.UUID
    ) -> tuple[Offering | None, list[FleetUnit]]:
        """An offering and those of its units the fleet holds, in one round trip (a hold
        reads both)."""
        rows = (await self.session.execute(_OFFERING_AND_UNITS, {"offering_id": offering_id})).all()
        if not rows:
            return None, []
        return rows[0][0], [unit for _, unit in rows if unit is not None]

    async def units(self, unit_ids: Sequence[uuid.UUID]) -> list[FleetUnit]:
        found = await self.session.execute(_UNITS, {"unit_ids": list(unit_ids)})
        return list(found.scalars())

    async def kit(self, kit_id: uuid.UUID) -> FleetKit | None:
        return await self.session.get(FleetKit, kit_id)

    async def window(
        self, window_id: uuid.UUID, *, for_update: bool = False
    ) -> MaintenanceWindow | None:
        query = select(MaintenanceWindow).where(MaintenanceWindow.id == window_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()
