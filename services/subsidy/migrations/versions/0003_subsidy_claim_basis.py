"""claim basis: usage invoices of service leases

Revision ID: 0003_subsidy_claim_basis
Revises: 0002_subsidy_claims
Create Date: 2026-11-26 07:09:13.040561
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_subsidy_claim_basis"
down_revision: str | None = "0002_subsidy_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing claims: a lease's rest on its schedule, the others on their application.
    op.add_column(
        "claims",
        sa.Column("basis", sa.String(length=40), nullable=False, server_default="schedule"),
        schema="subsidy",
    )
    op.execute("UPDATE subsidy.claims SET basis = 'application' WHERE lease_id IS NULL")
    op.alter_column("claims", "basis", server_default=None, schema="subsidy")
    op.drop_constraint(
        op.f("uq_claims_lease_policy_period"), "claims", schema="subsidy", type_="unique"
    )
    op.create_unique_constraint(
        "uq_claims_lease_policy_period",
        "claims",
        ["lease_id", "policy", "period", "basis"],
        schema="subsidy",
    )


def downgrade() -> None:
    op.drop_constraint("uq_claims_lease_policy_period", "claims", schema="subsidy", type_="unique")
    op.create_unique_constraint(
        op.f("uq_claims_lease_policy_period"),
        "claims",
        ["lease_id", "policy", "period"],
        schema="subsidy",
        postgresql_nulls_not_distinct=False,
    )
    op.drop_column("claims", "basis", schema="subsidy")
