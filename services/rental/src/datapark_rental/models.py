"""Every table of rental, imported in one place for Alembic and tests."""

from datapark_rental.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = ["EVENTING", "IDEMPOTENCY", "PARTICIPANTS", "Base"]
