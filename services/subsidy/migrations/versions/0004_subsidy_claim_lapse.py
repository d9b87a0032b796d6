"""reserved funds lapse

Revision ID: 0004_subsidy_claim_lapse
Revises: 0003_subsidy_claim_basis
Create Date: 2026-11-26 07:22:54.960670
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_subsidy_claim_lapse"
down_revision: str | None = "0003_subsidy_claim_basis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("lapses_on", sa.Date(), nullable=True), schema="subsidy")
    op.create_index(
        op.f("ix_subsidy_claims_lapses_on"), "claims", ["lapses_on"], unique=False, schema="subsidy"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_subsidy_claims_lapses_on"), table_name="claims", schema="subsidy")
    op.drop_column("claims", "lapses_on", schema="subsidy")
