"""Use cases of the robot fleet: models, units, kits, maintenance windows and rental offerings.
Every change publishes its aggregate's snapshot on ``catalog.listings.v1``.

A unit may sit in several offerings, but never in two kits' offerings whose validity periods
overlap: checked here with a 422 naming ``unit_ids``, and guarded in the database by an
exclusion constraint on ``offering_units`` against concurrent publications.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet import appraisal, composition, offering_terms
from datapark_catalog.fleet.events import (
    kit_snapshot,
    model_snapshot,
    offering_snapshot,
    publish,
    unit_snapshot,
    window_fact,
)
from datapark_catalog.fleet.models import (
    MaintenanceWindowRow,
    OfferingUnitRow,
    RentalOfferingRow,
    RobotKitRow,
    RobotModelRow,
    RobotUnitRow,
)
from datapark_catalog.fleet.repository import FleetRepository
from datapark_catalog.fleet.schemas import (
    MaintenanceWindowCreate,
    OfferingTermsIn,
    RentalOfferingCreate,
    RobotKitCreate,
    RobotKitUpdate,
    RobotModelCreate,
    RobotModelUpdate,
    RobotUnitCreate,
    RobotUnitUpdate,
)
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.access import (
    ensure_active_participant,
    ensure_owner,
    ensure_visible,
)
from datapark_catalog.terms.money import money_json
from datapark_contracts.events.catalog_listings import (
    MaintenanceWindowCancelled,
    MaintenanceWindowScheduled,
    OfferingTargetKind,
    RentalOfferingChanged,
    RentalOfferingPublished,
    RentalOfferingWithdrawn,
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


# --- rental offerings --------------------------------------------------------------------------

OFFERING = "rental offering"


def _apply_terms(
    row: RentalOfferingRow, body: OfferingTermsIn, terms: offering_terms.OfferingTerms
) -> None:
    card = terms.rate_card
    row.title = body.title
    row.location = body.location
    row.modes = [m.value for m in terms.modes]
    row.rate_card = {name: money_json(value) for name, value in card.rates().items()}
    row.headline_price = offering_terms.headline_rate(card)
    row.deposit = terms.deposit
    row.min_duration_seconds = terms.min_duration_seconds
    row.max_duration_seconds = terms.max_duration_seconds
    row.turnaround_before_seconds = terms.turnaround_before_seconds
    row.turnaround_after_seconds = terms.turnaround_after_seconds
    row.service_terms = (
        None
        if terms.service_terms is None
        else {
            "usage_unit": terms.service_terms.usage_unit.value,
            "price_per_use": money_json(terms.service_terms.price_per_use),
            "monthly_minimum": money_json(terms.service_terms.monthly_minimum),
        }
    )
    row.cancellation_policy = [
        {"notice_seconds": t.notice_seconds, "fee_rate": str(t.fee_rate)}
        for t in terms.cancellation_policy
    ]
    row.late_fee_per_hour = terms.late_fee_per_hour
    row.available_from = terms.available_from
    row.available_until = terms.available_until


class OfferingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = FleetRepository(session)

    async def publish(self, principal: Principal, body: RentalOfferingCreate) -> RentalOfferingRow:
        lessor = principal.participant_id
        await ensure_active_participant(self.session, lessor)
        unit_ids, category = await self._target(principal, body)
        units = await self.repo.units(unit_ids)
        composition.ensure_units_offerable(
            [composition.unit_ref(units[u]) for u in unit_ids], lessor
        )
        terms = offering_terms.validate_offering(body.to_terms(body.target_kind))
        offering_id = uuid7()
        await self._ensure_no_kit_overlap(
            offering_id, body.target_kind, body.kit_id, unit_ids, terms
        )
        now = datetime.now(UTC)
        row = RentalOfferingRow(
            id=offering_id,
            lessor_participant_id=lessor,
            target_kind=body.target_kind.value,
            unit_id=body.unit_id,
            kit_id=body.kit_id,
            unit_ids=list(unit_ids),
            category=category,
            state="published",
            published_at=now,
            updated_at=now,
        )
        _apply_terms(row, body, terms)
        await self.repo.add(row)
        await self._claim_units(
            row,
            [
                OfferingUnitRow(offering_id=row.id, unit_id=u, kit_id=body.kit_id, active=True)
                for u in unit_ids
            ],
        )
        await publish(self.session, offering_snapshot(row, RentalOfferingPublished, now), now)
        return row

    async def change(
        self, principal: Principal, offering_id: uuid.UUID, body: OfferingTermsIn
    ) -> RentalOfferingRow:
        """Replace a published offering's terms (its target stays); bookings keep theirs."""
        row = await self._published_of_owner(principal, offering_id, "change")
        await ensure_active_participant(self.session, row.lessor_participant_id)
        kind = OfferingTargetKind(row.target_kind)
        terms = offering_terms.validate_offering(body.to_terms(kind))
        await self._ensure_no_kit_overlap(row.id, kind, row.kit_id, list(row.unit_ids), terms)
        _apply_terms(row, body, terms)
        now = datetime.now(UTC)
        row.updated_at = now
        await self.session.flush()
        await self._claim_units(row, await self.repo.offering_units(row.id))
        await publish(self.session, offering_snapshot(row, RentalOfferingChanged, now), now)
        return row

    async def get(self, offering_id: uuid.UUID) -> RentalOfferingRow:
        """Offerings are visible to every authenticated caller (they are on offer)."""
        return await self._offering(offering_id)

    async def withdraw(
        self, principal: Principal, offering_id: uuid.UUID, reason: str
    ) -> RentalOfferingRow:
        row = await self._published_of_owner(principal, offering_id, "withdraw")
        now = datetime.now(UTC)
        row.state = "withdrawn"
        row.updated_at = now
        for claim in await self.repo.offering_units(row.id):
            claim.active = False
        await self.session.flush()
        snapshot = offering_snapshot(row, RentalOfferingWithdrawn, now, reason=reason)
        await publish(self.session, snapshot, now)
        return row

    # --- helpers ---------------------------------------------------------------------------

    async def _published_of_owner(
        self, principal: Principal, offering_id: uuid.UUID, action: str
    ) -> RentalOfferingRow:
        """The offering, locked, if ``principal`` is its lessor and it is still published
        (404, 403, or 409 ``invalid_state`` for ``action`` otherwise)."""
        row = await self._offering(offering_id, for_update=True)
        ensure_owner(principal, row.lessor_participant_id, OFFERING)
        if row.state != "published":
            raise InvalidState(OFFERING, row.state, action)
        return row

    async def _offering(
        self, offering_id: uuid.UUID, *, for_update: bool = False
    ) -> RentalOfferingRow:
        row = await self.repo.offering(offering_id, for_update=for_update)
        if row is None:
            raise NotFound(f"{OFFERING} not found")
        return row

    async def _ensure_no_kit_overlap(
        self,
        offering_id: uuid.UUID,
        kind: OfferingTargetKind,
        kit_id: uuid.UUID | None,
        unit_ids: list[uuid.UUID],
        terms: offering_terms.OfferingTerms,
    ) -> None:
        others = await self.repo.published_offerings_with(unit_ids, kits_only=True)
        composition.ensure_no_kit_overlap(
            composition.OfferingFootprint(
                offering_id,
                kind,
                kit_id,
                frozenset(unit_ids),
                terms.available_from,
                terms.available_until,
            ),
            [
                composition.OfferingFootprint(
                    o.id,
                    OfferingTargetKind(o.target_kind),
                    o.kit_id,
                    frozenset(o.unit_ids),
                    o.available_from,
                    o.available_until,
                )
                for o in others
            ],
        )

    async def _claim_units(self, row: RentalOfferingRow, claims: list[OfferingUnitRow]) -> None:
        """Write the offering's validity on each unit it holds; the exclusion constraint
        refuses a concurrent overlapping kit offering that slipped past the check."""
        validity: Any = Range(row.available_from, row.available_until, bounds="[)")
        try:
            async with self.session.begin_nested():
                for claim in claims:
                    claim.validity = validity
                    self.session.add(claim)
                await self.session.flush()
        except IntegrityError:
            raise Unprocessable(
                "a unit is already in another kit's offering for an overlapping period",
                field="unit_ids",
                code=CatalogProblem.UNIT_IN_OVERLAPPING_KIT_OFFERING,
            ) from None

    async def _target(
        self, principal: Principal, body: RentalOfferingCreate
    ) -> tuple[list[uuid.UUID], str]:
        """The units the offering holds and its category."""
        if body.target_kind is OfferingTargetKind.UNIT:
            if body.unit_id is None or body.kit_id is not None:
                raise Unprocessable("a unit offering names unit_id only", field="unit_id")
            unit = await self.repo.unit(body.unit_id)
            if unit is None or unit.lessor_participant_id != principal.participant_id:
                raise Unprocessable("unit not found among your units", field="unit_id")
            return [unit.id], await self._category([unit])
        if body.kit_id is None or body.unit_id is not None:
            raise Unprocessable("a kit offering names kit_id only", field="kit_id")
        kit = await self.repo.kit(body.kit_id)
        if kit is None or kit.lessor_participant_id != principal.participant_id:
            raise Unprocessable("kit not found among your kits", field="kit_id")
        units = await self.repo.units(kit.unit_ids)
        return list(kit.unit_ids), await self._category(list(units.values()))

    async def _category(self, units: list[RobotUnitRow]) -> str:
        """The units' common category; a mixed kit is ``other``."""
        categories = set()
        for unit in units:
            model = await self.repo.model(unit.model_id)
            categories.add(model.category if model is not None else "other")
        return categories.pop() if len(categories) == 1 else "other"
