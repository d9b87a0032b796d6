"""Every table of subsidy, imported in one place for Alembic and tests."""

from datapark_subsidy.budgets.models import BudgetEntry, BudgetRow
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.leases.models import LeaseRecord
from datapark_subsidy.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = [
    "EVENTING",
    "IDEMPOTENCY",
    "PARTICIPANTS",
    "Base",
    "BudgetEntry",
    "BudgetRow",
    "Claim",
    "LeaseRecord",
]
