"""Use cases of rental offerings: publish, change and withdraw, each with its event.

A unit may sit in several offerings, but never in two kits' offerings whose validity periods
overlap: checked here with a 422 naming ``unit_ids``, and guarded in the database by an
exclusion constraint on ``offering_units`` against concurrent publications.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.fleet import composition, offering_terms
from datapark_catalog.fleet.events import offering_snapshot, publish
from datapark_catalog.fleet.models import OfferingUnitRow, RentalOfferingRow, RobotUnitRow
from datapark_catalog.fleet.repository import FleetRepository
from datapark_catalog.fleet.schemas import OfferingTermsIn, RentalOfferingCreate
from datapark_catalog.problems import CatalogProblem
from datapark_catalog.products.access import ensure_active_participant, ensure_owner
from datapark_catalog.terms.money import money_json
from datapark_catalog.terms.schemas import amount_of
from datapark_contracts.events.catalog_listings import (
    OfferingTargetKind,
    RentalOfferingChanged,
    RentalOfferingPublished,
    RentalOfferingWithdrawn,
)
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import InvalidState, NotFound, Unprocessable

WHAT = "rental offering"


def headline_rate(card: offering_terms.RateCard) -> Decimal:
    """The rate search shows and filters on: the shortest period on the card."""
    for rate in (card.hour, card.day, card.week, card.month):
        if rate is not None:
            return rate
    raise Unprocessable("the rate card is empty", field="rate_card")


def terms_of(
    body: OfferingTermsIn, target_kind: OfferingTargetKind
) -> offering_terms.OfferingTerms:
    card, service = body.rate_card, body.service_terms
    return offering_terms.validate_offering(
        offering_terms.OfferingTerms(
            target_kind=target_kind,
            modes=tuple(body.modes),
            rate_card=offering_terms.RateCard(
                amount_of(card.hour),
                amount_of(card.day),
                amount_of(card.week),
                amount_of(card.month),
            ),
            deposit=body.deposit.amount,
            min_duration_seconds=body.min_duration_seconds,
            max_duration_seconds=body.max_duration_seconds,
            turnaround_before_seconds=body.turnaround_before_seconds,
            turnaround_after_seconds=body.turnaround_after_seconds,
            available_from=body.available_from,
            available_until=body.available_until,
            service_terms=None
            if service is None
            else offering_terms.ServiceTerms(
                service.usage_unit, service.price_per_use.amount, service.monthly_minimum.amount
            ),
            cancellation_policy=tuple(
                offering_terms.CancellationTier(t.notice_seconds, t.fee_rate)
                for t in body.cancellation_policy
            ),
            late_fee_per_hour=amount_of(body.late_fee_per_hour),
        )
    )


def apply_terms(
    row: RentalOfferingRow, body: OfferingTermsIn, terms: offering_terms.OfferingTerms
) -> None:
    card = terms.rate_card
    row.title = body.title
    row.location = body.location
    row.modes = [m.value for m in terms.modes]
    row.rate_card = {
        name: money_json(value)
        for name, value in (
            ("hour", card.hour),
            ("day", card.day),
            ("week", card.week),
            ("month", card.month),
        )
        if value is not None
    }
    row.headline_price = headline_rate(card)
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
        terms = terms_of(body, body.target_kind)
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
        apply_terms(row, body, terms)
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
        row = await self._owned(principal, offering_id)
        if row.state != "published":
            raise InvalidState(WHAT, row.state, "change")
        await ensure_active_participant(self.session, row.lessor_participant_id)
        kind = OfferingTargetKind(row.target_kind)
        terms = terms_of(body, kind)
        await self._ensure_no_kit_overlap(row.id, kind, row.kit_id, list(row.unit_ids), terms)
        apply_terms(row, body, terms)
        now = datetime.now(UTC)
        row.updated_at = now
        await self.session.flush()
        await self._claim_units(row, await self.repo.offering_units(row.id))
        await publish(self.session, offering_snapshot(row, RentalOfferingChanged, now), now)
        return row

    async def get(self, offering_id: uuid.UUID) -> RentalOfferingRow:
        """Offerings are visible to every authenticated caller (they are on offer)."""
        row = await self.repo.offering(offering_id)
        if row is None:
            raise NotFound(f"{WHAT} not found")
        return row

    async def withdraw(
        self, principal: Principal, offering_id: uuid.UUID, reason: str
    ) -> RentalOfferingRow:
        row = await self._owned(principal, offering_id)
        if row.state != "published":
            raise InvalidState(WHAT, row.state, "withdraw")
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

    async def _owned(self, principal: Principal, offering_id: uuid.UUID) -> RentalOfferingRow:
        row = await self.repo.offering(offering_id, for_update=True)
        if row is None:
            raise NotFound(f"{WHAT} not found")
        ensure_owner(principal, row.lessor_participant_id, WHAT)
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
