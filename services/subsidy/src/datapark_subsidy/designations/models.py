"""Provincial designations of data-industry clusters and data-element parks, as operators
record them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from datapark_subsidy.tables import Base
from datapark_subsidy.terms.assessment import Designation


class DesignationRecord(Base):
    """A designation: the Fujian cap belongs to it, whoever applies under it."""

    __tablename__ = "designations"
    __table_args__ = (
        UniqueConstraint("kind", "name", name="uq_designations_kind_name"),
        CheckConstraint("kind IN ('cluster', 'park')", name="known_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    designated_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def as_facts(self) -> Designation:
        return Designation(str(self.id), self.kind, self.name, self.region_code, self.designated_on)
