"""lease end date: when a lease ended, however it ended

Revision ID: 0005_rental_lease_ended_on
Revises: 0004_rental_lease_finance
Create Date: 2026-11-30 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_rental_lease_ended_on"
down_revision: str | None = "0004_rental_lease_finance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("leases", sa.Column("ended_on", sa.Date(), nullable=True), schema="rental")
    # Leases that ended before the column existed: a termination's date where there is one,
    # otherwise the day the lease last changed (its end, or what followed it).
    op.execute(
        """
        UPDATE rental.leases
           SET ended_on = COALESCE(terminated_on, updated_at::date)
         WHERE state IN ('paid_off', 'title_transferred', 'returned', 'closed',
                         'terminated', 'repossessed', 'written_off')
        """
    )


def downgrade() -> None:
    op.drop_column("leases", "ended_on", schema="rental")
