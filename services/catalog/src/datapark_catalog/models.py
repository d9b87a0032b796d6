"""Every table of catalog, imported in one place for Alembic and tests."""

from datapark_catalog.auth import models as auth_models
from datapark_catalog.participants import models as participant_models
from datapark_catalog.tables import EVENTING, IDEMPOTENCY, Base

__all__ = ["EVENTING", "IDEMPOTENCY", "Base", "auth_models", "participant_models"]
