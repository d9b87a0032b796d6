"""bookings by lessor for the list endpoint

Revision ID: 0003_rental_list_indexes
Revises: 0002_rental_fleet_leases
Create Date: 2026-11-26 08:04:34.193131
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_rental_list_indexes"
down_revision: str | None = "0002_rental_fleet_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # GET /v1/bookings shows a lessor the bookings on its offerings (customer is indexed already).
    op.create_index(
        op.f("ix_rental_bookings_lessor_participant_id"),
        "bookings",
        ["lessor_participant_id"],
        unique=False,
        schema="rental",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_rental_bookings_lessor_participant_id"), table_name="bookings", schema="rental"
    )
