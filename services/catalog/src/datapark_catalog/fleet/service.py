"""Use cases of the robot fleet: models, units, kits and maintenance windows (offerings are in
``offerings.py``). Every change publishes its aggregate's snapshot on ``catalog.listings.v1``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet import appraisal, composition
from datapark_catalog.fleet.events import (
    kit_snapshot,
    model_snapshot,
    publish,
    unit_snapshot,
    window_fact,
)
from datapark_catalog.fleet.models import (
    MaintenanceWindowRow,
    RobotKitRow,
    RobotModelRow,
    RobotUnitRow,
)
from datapark_catalog.fleet.repository import FleetRepository
from datapark_catalog.fleet.schemas import (
    MaintenanceWindowCreate,
    RobotKitCreate,
    RobotKitUpdate,
    RobotModelCreate,
    RobotModelUpdate,
    RobotUnitCreate,
    RobotUnitUpdate,
)
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.access import ensure_owner, ensure_visible
from datapark_contracts.events.catalog_listings import (
    MaintenanceWindowCancelled,
    MaintenanceWindowScheduled,
    RobotKitChanged,
    RobotKitRegistered,
    RobotModelChanged,
    RobotModelRegistered,
    RobotUnitChanged,
    RobotUnitRegistered,
    RobotUnitStatus,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, Forbidden, InvalidState, NotFound, Unprocessable


class FleetService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = FleetRepository(session)

    # --- models and units ------------------------------------------------------------------

    async def register_model(self, principal: Principal, body: RobotModelCreate) -> RobotModelRow:
        now = datetime.now(UTC)
        row = RobotModelRow(
            id=uuid7(),
            maker=body.maker,
            name=body.name,
            category=body.category.value,
            specs=dict(body.specs),
            registered_by=principal.participant_id,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(row)
        await publish(self.session, model_snapshot(row, RobotModelRegistered, now), now)
        return row

    async def get_model(self, model_id: uuid.UUID) -> RobotModelRow:
        row = await self.repo.model(model_id)
        if row is None:
            raise NotFound("robot model not found")
        return row

    async def update_model(
        self, principal: Principal, model_id: uuid.UUID, body: RobotModelUpdate
    ) -> RobotModelRow:
        """Whoever registered a model (or an operator) may correct its name and specs."""
        row = await self.get_model(model_id)
        if row.registered_by != principal.participant_id and not principal.has("operator"):
            raise Forbidden(
                "only who registered the model may change it", code=CatalogProblem.OWNER_ONLY
            )
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        for name, value in changes.items():
            setattr(row, name, value)
        now = datetime.now(UTC)
        row.updated_at = now
        await self.session.flush()
        await publish(self.session, model_snapshot(row, RobotModelChanged, now), now)
        return row

    async def register_unit(self, principal: Principal, body: RobotUnitCreate) -> RobotUnitRow:
        model = await self.get_model(body.model_id)
        serial = appraisal.validate_serial_number(body.serial_number)
        checked = appraisal.validate_appraisal(
            appraisal.UnitAppraisal(
                body.acquisition_cost.amount,
                body.salvage_value.amount,
                body.useful_life_months,
                body.acquired_on,
            )
        )
        if await self.repo.unit_by_serial(serial) is not None:
            raise Conflict(
                "a unit with this serial number is registered", code=CatalogProblem.DUPLICATE_SERIAL
            )
        now = datetime.now(UTC)
        row = RobotUnitRow(
            id=uuid7(),
            model_id=model.id,
            serial_number=serial,
            lessor_participant_id=principal.participant_id,
            acquisition_cost=checked.acquisition_cost,
            acquired_on=checked.acquired_on,
            salvage_value=checked.salvage_value,
            useful_life_months=checked.useful_life_months,
            location=body.location,
            status=RobotUnitStatus.AVAILABLE.value,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.session.begin_nested():
                await self.repo.add(row)
        except IntegrityError:
            raise Conflict(
                "a unit with this serial number is registered", code=CatalogProblem.DUPLICATE_SERIAL
            ) from None
        await publish(self.session, unit_snapshot(row, model, RobotUnitRegistered, now), now)
        return row

    async def get_unit(self, principal: Principal, unit_id: uuid.UUID) -> RobotUnitRow:
        row = await self.repo.unit(unit_id)
        if row is None:
            raise NotFound("robot unit not found")
        ensure_visible(principal, row.lessor_participant_id, "robot unit")
        return row

    async def update_unit(
        self, principal: Principal, unit_id: uuid.UUID, body: RobotUnitUpdate
    ) -> RobotUnitRow:
        row = await self._own_unit(principal, unit_id)
        changes = body.model_dump(exclude_unset=True, exclude_none=True)
        if row.status == RobotUnitStatus.RETIRED.value:
            raise InvalidState("robot unit", row.status, "change", "a retired unit cannot change")
        if changes.get("status") is RobotUnitStatus.RETIRED:
            offered = await self.repo.published_offerings_with([row.id])
            if offered:
                raise Conflict(
                    "the unit is in published offerings; withdraw them before retiring it",
                    code=CatalogProblem.UNIT_OFFERED,
                    offering_ids=[str(o.id) for o in offered],
                )
        changed = []
        for name, value in changes.items():
            value = value.value if isinstance(value, RobotUnitStatus) else value
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed.append(name)
        if not changed:
            return row
        now = datetime.now(UTC)
        row.updated_at = now
        await self.session.flush()
        model = await self.get_model(row.model_id)
        snapshot = unit_snapshot(row, model, RobotUnitChanged, now, changed_fields=tuple(changed))
        await publish(self.session, snapshot, now)
        return row

    # --- maintenance windows ---------------------------------------------------------------

    async def schedule_maintenance(
        self, principal: Principal, unit_id: uuid.UUID, body: MaintenanceWindowCreate
    ) -> MaintenanceWindowRow:
        unit = await self._own_unit(principal, unit_id)
        composition.validate_window(body.start, body.end)
        now = datetime.now(UTC)
        row = MaintenanceWindowRow(
            id=uuid7(),
            unit_id=unit.id,
            starts_at=body.start,
            ends_at=body.end,
            reason=body.reason,
            status="scheduled",
            created_at=now,
        )
        try:
            async with self.session.begin_nested():
                await self.repo.add(row)
        except IntegrityError:
            raise Conflict(
                "the unit already has maintenance scheduled in this period",
                code=CatalogProblem.MAINTENANCE_OVERLAP,
            ) from None
        await publish(self.session, window_fact(row, MaintenanceWindowScheduled, now), now)
        return row

    async def cancel_maintenance(
        self, principal: Principal, unit_id: uuid.UUID, window_id: uuid.UUID
    ) -> MaintenanceWindowRow:
        await self._own_unit(principal, unit_id)
        row = await self.repo.window(window_id)
        if row is None or row.unit_id != unit_id:
            raise NotFound("maintenance window not found")
        if row.status != "scheduled":
            raise InvalidState("maintenance window", row.status, "cancel")
        row.status = "cancelled"
        now = datetime.now(UTC)
        await self.session.flush()
        await publish(self.session, window_fact(row, MaintenanceWindowCancelled, now), now)
        return row

    # --- kits ------------------------------------------------------------------------------

    async def register_kit(self, principal: Principal, body: RobotKitCreate) -> RobotKitRow:
        units = await self.repo.units(body.unit_ids)
        for i, unit_id in enumerate(body.unit_ids):
            # An unknown unit and another tenant's unit look the same: neither is yours.
            if unit_id not in units:
                raise Unprocessable(
                    f"unit {unit_id} is not one of your units", field=f"unit_ids[{i}]"
                )
        refs = [composition.unit_ref(units[u]) for u in body.unit_ids]
        unit_ids = composition.validate_kit(principal.participant_id, body.name, refs)
        now = datetime.now(UTC)
        row = RobotKitRow(
            id=uuid7(),
            lessor_participant_id=principal.participant_id,
            name=body.name,
            description=body.description,
            unit_ids=list(unit_ids),
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(row)
        await publish(self.session, kit_snapshot(row, RobotKitRegistered, now), now)
        return row

    async def update_kit(
        self, principal: Principal, kit_id: uuid.UUID, body: RobotKitUpdate
    ) -> RobotKitRow:
        """Rename or redescribe a kit (owner only); its units stay, since offerings hold them."""
        row = await self.repo.kit(kit_id)
        if row is None:
            raise NotFound("robot kit not found")
        ensure_owner(principal, row.lessor_participant_id, "robot kit")
        for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(row, name, value)
        now = datetime.now(UTC)
        row.updated_at = now
        await self.session.flush()
        await publish(self.session, kit_snapshot(row, RobotKitChanged, now), now)
        return row

    async def get_kit(self, principal: Principal, kit_id: uuid.UUID) -> RobotKitRow:
        row = await self.repo.kit(kit_id)
        if row is None:
            raise NotFound("robot kit not found")
        ensure_visible(principal, row.lessor_participant_id, "robot kit")
        return row

    # --- helpers ---------------------------------------------------------------------------

    async def _own_unit(self, principal: Principal, unit_id: uuid.UUID) -> RobotUnitRow:
        row = await self.repo.unit(unit_id, for_update=True)
        if row is None:
            raise NotFound("robot unit not found")
        ensure_owner(principal, row.lessor_participant_id, "robot unit")
        return row
