"""Every table of trading, imported in one place for Alembic and tests."""

from datapark_trading.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = ["EVENTING", "IDEMPOTENCY", "PARTICIPANTS", "Base"]
