"""leases remember when the sweeper last went through them

Revision ID: 0008_rental_lease_sweep_order
Revises: 0007_rental_party_booking_order
Create Date: 2026-11-30 14:00:00

The sweeper takes at most 100 leases with something due a pass. It took them in id order, and
a lease in arrears stays "with something due" every pass: once more than 100 leases were in
arrears, a newer lease whose installment had just fallen due was never reached. Leases are now
taken least recently swept first (never swept first), so every lease is reached in turn.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_rental_lease_sweep_order"
down_revision: str | None = "0007_rental_party_booking_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "leases",
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=True),
        schema="rental",
    )


def downgrade() -> None:
    op.drop_column("leases", "swept_at", schema="rental")
