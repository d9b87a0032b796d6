"""Every table of subsidy, imported in one place for Alembic and tests."""

from datapark_subsidy.budgets.models import BudgetEntry, BudgetRow
from datapark_subsidy.claims.models import Claim
from datapark_subsidy.designations.models import DesignationRecord
from datapark_subsidy.leases.models import LeaseReceivableRecord, LeaseRecord
from datapark_subsidy.tables import EVENTING, IDEMPOTENCY, PARTICIPANTS, Base

__all__ = [
    "EVENTING",
    "IDEMPOTENCY",
    "PARTICIPANTS",
    "Base",
    "BudgetEntry",
    "BudgetRow",
    "Claim",
    "DesignationRecord",
    "LeaseReceivableRecord",
    "LeaseRecord",
]
