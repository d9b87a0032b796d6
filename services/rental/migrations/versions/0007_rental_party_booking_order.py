"""a party's bookings in id order: one keyset index per party column

Revision ID: 0007_rental_party_booking_order
Revises: 0006_rental_audit_reader
Create Date: 2026-11-30 13:20:00

``GET /v1/bookings`` for a customer or a lessor (``customer = X OR lessor = X``, newest first)
walked the primary key backwards and filtered, reading every newer booking of everyone else:
its cost grew with the table. With ``(customer_participant_id, id)`` and
``(lessor_participant_id, id)`` the repository reads the page as two backward index walks
from the cursor, each stopping after a page, merged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_rental_party_booking_order"
down_revision: str | None = "0006_rental_audit_reader"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_rental_bookings_customer_order",
        "bookings",
        ["customer_participant_id", "id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        "ix_rental_bookings_lessor_order",
        "bookings",
        ["lessor_participant_id", "id"],
        unique=False,
        schema="rental",
    )


def downgrade() -> None:
    op.drop_index("ix_rental_bookings_lessor_order", table_name="bookings", schema="rental")
    op.drop_index("ix_rental_bookings_customer_order", table_name="bookings", schema="rental")
