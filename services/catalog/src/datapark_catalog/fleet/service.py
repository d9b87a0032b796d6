"""Use cases of the robot fleet: models, units, kits, maintenance windows, rental offerings.
Every change publishes its aggregate's snapshot on ``catalog.listings.v1``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet import rules
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
    RentalOfferingCreate,
    RobotKitCreate,
    RobotModelCreate,
    RobotUnitCreate,
    RobotUnitUpdate,
)
from datapark_catalog.listings.wire import money
from datapark_catalog.products.access import ensure_active_participant, ensure_owner, ensure_visible
from datapark_contracts.events.catalog_listings import (
    MaintenanceWindowCancelled,
    MaintenanceWindowScheduled,
    OfferingTargetKind,
    RentalOfferingPublished,
    RentalOfferingWithdrawn,
    RobotKitRegistered,
    RobotModelRegistered,
    RobotUnitChanged,
    RobotUnitRegistered,
    RobotUnitStatus,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, InvalidState, NotFound, Unprocessable


def _ref(unit: RobotUnitRow) -> rules.UnitRef:
    return rules.UnitRef(unit.id, unit.lessor_participant_id, RobotUnitStatus(unit.status))


def _headline(card: rules.RateCard) -> Decimal:
    """The rate search shows and filters on: the shortest period on the card."""
    for rate in (card.hour, card.day, card.week, card.month):
        if rate is not None:
            return rate
    raise Unprocessable("the rate card is empty", field="rate_card")


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

    async def register_unit(self, principal: Principal, body: RobotUnitCreate) -> RobotUnitRow:
        model = await self.get_model(body.model_id)
        serial = rules.validate_serial_number(body.serial_number)
        appraisal = rules.validate_appraisal(
            rules.UnitAppraisal(
                body.acquisition_cost, body.salvage_value, body.useful_life_months, body.acquired_on
            )
        )
        if await self.repo.unit_by_serial(serial) is not None:
            raise Conflict("a unit with this serial number is registered", code="duplicate_serial")
        now = datetime.now(UTC)
        row = RobotUnitRow(
            id=uuid7(),
            model_id=model.id,
            serial_number=serial,
            lessor_participant_id=principal.participant_id,
            acquisition_cost=appraisal.acquisition_cost,
            acquired_on=appraisal.acquired_on,
            salvage_value=appraisal.salvage_value,
            useful_life_months=appraisal.useful_life_months,
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
                "a unit with this serial number is registered", code="duplicate_serial"
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
        rules.validate_window(body.start, body.end)
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
                code="maintenance_overlap",
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
                raise Unprocessable(f"unit {unit_id} not found", field=f"unit_ids[{i}]")
        refs = [_ref(units[u]) for u in body.unit_ids]
        unit_ids = rules.validate_kit(principal.participant_id, body.name, refs)
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

    async def get_kit(self, principal: Principal, kit_id: uuid.UUID) -> RobotKitRow:
        row = await self.repo.kit(kit_id)
        if row is None:
            raise NotFound("robot kit not found")
        ensure_visible(principal, row.lessor_participant_id, "robot kit")
        return row

    # --- rental offerings ------------------------------------------------------------------

    async def publish_offering(
        self, principal: Principal, body: RentalOfferingCreate
    ) -> RentalOfferingRow:
        lessor = principal.participant_id
        await ensure_active_participant(self.session, lessor)
        unit_ids, category = await self._target(principal, body)
        units = await self.repo.units(unit_ids)
        rules.ensure_units_offerable([_ref(units[u]) for u in unit_ids], lessor)
        terms = rules.validate_offering(
            rules.OfferingTerms(
                target_kind=body.target_kind,
                modes=tuple(body.modes),
                rate_card=rules.RateCard(**body.rate_card.model_dump()),
                deposit=body.deposit,
                min_duration_minutes=body.min_duration_minutes,
                max_duration_minutes=body.max_duration_minutes,
                turnaround_before_minutes=body.turnaround_before_minutes,
                turnaround_after_minutes=body.turnaround_after_minutes,
                available_from=body.available_from,
                available_until=body.available_until,
                service_terms=None
                if body.service_terms is None
                else rules.ServiceTerms(**body.service_terms.model_dump()),
                cancellation_policy=tuple(
                    rules.CancellationTier(t.notice_minutes, t.fee_rate)
                    for t in body.cancellation_policy
                ),
                late_fee_per_hour=body.late_fee_per_hour,
            )
        )
        offering_id = uuid7()
        footprint = rules.OfferingFootprint(
            offering_id,
            body.target_kind,
            body.kit_id,
            frozenset(unit_ids),
            terms.available_from,
            terms.available_until,
        )
        others = await self.repo.published_kit_offerings_with(unit_ids)
        rules.ensure_no_kit_overlap(
            footprint,
            [
                rules.OfferingFootprint(
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
        now = datetime.now(UTC)
        row = RentalOfferingRow(
            id=offering_id,
            lessor_participant_id=lessor,
            title=body.title,
            target_kind=body.target_kind.value,
            unit_id=body.unit_id,
            kit_id=body.kit_id,
            unit_ids=list(unit_ids),
            category=category,
            modes=[m.value for m in terms.modes],
            rate_card=_card_json(terms.rate_card),
            headline_price=_headline(terms.rate_card),
            deposit=terms.deposit,
            min_duration_minutes=terms.min_duration_minutes,
            max_duration_minutes=terms.max_duration_minutes,
            turnaround_before_minutes=terms.turnaround_before_minutes,
            turnaround_after_minutes=terms.turnaround_after_minutes,
            service_terms=None
            if terms.service_terms is None
            else {
                "usage_unit": terms.service_terms.usage_unit.value,
                "price_per_use": money(terms.service_terms.price_per_use),
                "monthly_minimum": money(terms.service_terms.monthly_minimum),
            },
            cancellation_policy=[
                {"notice_minutes": t.notice_minutes, "fee_rate": str(t.fee_rate)}
                for t in terms.cancellation_policy
            ],
            late_fee_per_hour=terms.late_fee_per_hour,
            available_from=terms.available_from,
            available_until=terms.available_until,
            location=body.location,
            state="published",
            published_at=now,
            updated_at=now,
        )
        await self.repo.add(row)
        validity = Range(terms.available_from, terms.available_until, bounds="[)")
        try:
            async with self.session.begin_nested():
                for unit_id in unit_ids:
                    self.session.add(
                        OfferingUnitRow(
                            offering_id=row.id,
                            unit_id=unit_id,
                            kit_id=body.kit_id,
                            validity=validity,
                            active=True,
                        )
                    )
                await self.session.flush()
        except IntegrityError:
            # A concurrent kit offering took one of the units first (exclusion constraint).
            raise Unprocessable(
                "a unit is already in another kit's offering for an overlapping period",
                field="unit_ids",
                code="unit_in_overlapping_kit_offering",
            ) from None
        await publish(self.session, offering_snapshot(row, RentalOfferingPublished, now), now)
        return row

    async def get_offering(self, offering_id: uuid.UUID) -> RentalOfferingRow:
        """Offerings are public to every authenticated caller (they are on offer)."""
        row = await self.repo.offering(offering_id)
        if row is None:
            raise NotFound("rental offering not found")
        return row

    async def withdraw_offering(
        self, principal: Principal, offering_id: uuid.UUID, reason: str
    ) -> RentalOfferingRow:
        row = await self.repo.offering(offering_id, for_update=True)
        if row is None:
            raise NotFound("rental offering not found")
        ensure_owner(principal, row.lessor_participant_id, "rental offering")
        if row.state != "published":
            raise InvalidState("rental offering", row.state, "withdraw")
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

    async def _own_unit(self, principal: Principal, unit_id: uuid.UUID) -> RobotUnitRow:
        row = await self.repo.unit(unit_id, for_update=True)
        if row is None:
            raise NotFound("robot unit not found")
        ensure_owner(principal, row.lessor_participant_id, "robot unit")
        return row

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
            return [unit.id], (await self.get_model(unit.model_id)).category
        if body.kit_id is None or body.unit_id is not None:
            raise Unprocessable("a kit offering names kit_id only", field="kit_id")
        kit = await self.repo.kit(body.kit_id)
        if kit is None or kit.lessor_participant_id != principal.participant_id:
            raise Unprocessable("kit not found among your kits", field="kit_id")
        units = await self.repo.units(kit.unit_ids)
        categories = {(await self.get_model(u.model_id)).category for u in units.values()}
        return list(kit.unit_ids), categories.pop() if len(categories) == 1 else "other"


def _card_json(card: rules.RateCard) -> dict[str, Any]:
    return {
        name: money(value)
        for name, value in (
            ("hour", card.hour),
            ("day", card.day),
            ("week", card.week),
            ("month", card.month),
        )
        if value is not None
    }
