"""Every table of rental, imported in one place for Alembic and tests."""

from datapark_rental.bookings.models import Booking, UnitReservation
from datapark_rental.fleet.models import FleetKit, FleetUnit, MaintenanceWindow, Offering
from datapark_rental.leases.models import (
    Lease,
    LeaseInvoice,
    LeasePayment,
    LeaseReceivable,
    LessorFinancials,
    UsageRecord,
)
from datapark_rental.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = [
    "EVENTING",
    "IDEMPOTENCY",
    "PARTICIPANTS",
    "Base",
    "Booking",
    "FleetKit",
    "FleetUnit",
    "Lease",
    "LeaseInvoice",
    "LeasePayment",
    "LeaseReceivable",
    "LessorFinancials",
    "MaintenanceWindow",
    "Offering",
    "UnitReservation",
    "UsageRecord",
]
