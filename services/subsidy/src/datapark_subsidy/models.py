"""Every table of subsidy, imported in one place for Alembic and tests."""

from datapark_subsidy.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = ["EVENTING", "IDEMPOTENCY", "PARTICIPANTS", "Base"]
