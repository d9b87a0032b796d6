"""All SQL about designations."""

from __future__ import annotations

import uuid

from sqlalchemy import column, select, table
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_subsidy.designations.models import DesignationRecord
from datapark_subsidy.tables import SCHEMA

# The claims table as far as this repository reads it: claims sit in the layer above
# designations (they bind a designation's facts), so its model is not imported here.
_CLAIMS = table("claims", column("id"), column("designation_id", UUID(as_uuid=True)), schema=SCHEMA)


class DesignationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: dict[str, object]) -> bool:
        """Insert a designation; False if one of that kind and name is on record already."""
        inserted = await self.session.execute(
            insert(DesignationRecord)
            .values(**values)
            .on_conflict_do_nothing(constraint="uq_designations_kind_name")
            .returning(DesignationRecord.id)
        )
        return inserted.scalar_one_or_none() is not None

    async def get(
        self, designation_id: uuid.UUID, *, for_update: bool = False
    ) -> DesignationRecord | None:
        query = select(DesignationRecord).where(DesignationRecord.id == designation_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def name_taken(self, kind: str, name: str, other_than: uuid.UUID) -> bool:
        query = select(DesignationRecord.id).where(
            DesignationRecord.kind == kind,
            DesignationRecord.name == name,
            DesignationRecord.id != other_than,
        )
        return (await self.session.execute(query)).first() is not None

    async def in_use(self, designation_id: uuid.UUID) -> bool:
        """Whether anyone applied under the designation (its claims bind its facts)."""
        query = select(_CLAIMS.c.id).where(_CLAIMS.c.designation_id == designation_id).limit(1)
        return (await self.session.execute(query)).first() is not None

    async def page(self, *, after: uuid.UUID | None, limit: int) -> list[DesignationRecord]:
        query = select(DesignationRecord).order_by(DesignationRecord.id).limit(limit)
        if after is not None:
            query = query.where(DesignationRecord.id > after)
        return list((await self.session.execute(query)).scalars())
