"""Maintenance windows take their unit's time.

A maintenance window (from catalog) is recorded in the fleet view and reserves its unit in
``unit_reservations`` (the same exclusion constraint as bookings); when a booking already holds
part of the window the reservation cannot be taken, the window is kept unreserved and bookings
still check it, and the clash is logged for the operator.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events import catalog_listings as catalog
from datapark_rental.bookings.repository import BookingRepository, ReservationClash, half_open
from datapark_rental.fleet.models import MaintenanceWindow
from datapark_rental.fleet.repository import FleetRepository

log = logging.getLogger("datapark.rental.fleet")


class MaintenanceService:
    def __init__(self, session: AsyncSession) -> None:
        self.fleet = FleetRepository(session)
        self.bookings = BookingRepository(session)

    async def scheduled(self, payload: catalog.MaintenanceWindowScheduled, *, aggseq: int) -> None:
        """Record the window and reserve its unit for it (unless a booking holds the time)."""
        period = half_open(payload.start, payload.end)
        changed = await self.fleet.upsert(
            MaintenanceWindow,
            payload.window_id,
            {
                "unit_id": payload.unit_id,
                "period": period,
                "reason": payload.reason,
                "cancelled": False,
                "reserved": False,
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            },
        )
        if not changed:
            return
        window = await self.fleet.window(payload.window_id, for_update=True)
        assert window is not None
        await self.bookings.release_window(window.id)
        try:
            await self.bookings.reserve(
                [payload.unit_id], period, "maintenance", window_id=window.id
            )
            window.reserved = True
        except ReservationClash:
            log.warning(
                "maintenance window %s of unit %s overlaps a booking; kept unreserved",
                payload.window_id,
                payload.unit_id,
            )

    async def cancelled(self, payload: catalog.MaintenanceWindowCancelled, *, aggseq: int) -> None:
        """Record the cancellation and give the unit's time back."""
        changed = await self.fleet.upsert(
            MaintenanceWindow,
            payload.window_id,
            {
                "unit_id": payload.unit_id,
                "period": half_open(payload.start, payload.end),
                "reason": payload.reason,
                "cancelled": True,
                "reserved": False,
                "aggseq": aggseq,
                "updated_at": payload.occurred_at,
            },
        )
        if changed:
            await self.bookings.release_window(payload.window_id)
