"""Every table of catalog, imported in one place for Alembic and tests."""

from datapark_catalog.auth import models as auth_models
from datapark_catalog.fleet import models as fleet_models
from datapark_catalog.participants import models as participant_models
from datapark_catalog.products import models as product_models
from datapark_catalog.tables import EVENTING, IDEMPOTENCY, Base
from datapark_catalog.valuations import models as valuation_models

__all__ = [
    "EVENTING",
    "IDEMPOTENCY",
    "Base",
    "auth_models",
    "fleet_models",
    "participant_models",
    "product_models",
    "valuation_models",
]
