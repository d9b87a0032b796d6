"""fleet projection, bookings with no double booking, leases

Revision ID: 0002_rental_fleet_leases
Revises: 0001_rental_base
Create Date: 2026-11-26 06:42:08.575728
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_rental_fleet_leases"
down_revision: str | None = "0001_rental_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The exclusion constraint compares uuids with = inside a gist index: btree_gist.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "bookings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("offering_id", sa.UUID(), nullable=False),
        sa.Column("customer_participant_id", sa.UUID(), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("kit_id", sa.UUID(), nullable=True),
        sa.Column("unit_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rental_price", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("deposit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("late_fee", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("damage_charges", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("cancellation_fee", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("deposit_refund", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("balance_due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('"end" > start', name=op.f("ck_bookings_period_not_empty")),
        sa.CheckConstraint(
            'reserved_until >= "end" AND reserved_from <= start', name=op.f("ck_bookings_padded")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_bookings_customer_participant_id"),
        "bookings",
        ["customer_participant_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_bookings_offering_id"),
        "bookings",
        ["offering_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_bookings_status"),
        "bookings",
        ["status", "expires_at"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "fleet_kits",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("aggseq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_kits")),
        schema="rental",
    )
    op.create_table(
        "fleet_units",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("maker", sa.String(length=200), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("serial_number", sa.String(length=200), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("appraised_value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("aggseq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_units")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_fleet_units_lessor_participant_id"),
        "fleet_units",
        ["lessor_participant_id"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "leases",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("lessee_participant_id", sa.UUID(), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("offering_id", sa.UUID(), nullable=False),
        sa.Column("kit_id", sa.UUID(), nullable=True),
        sa.Column("unit_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("equipment_cost", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("down_payment_rate", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("down_payment", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("financed_principal", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("amortization", sa.String(length=20), nullable=False),
        sa.Column("balloon", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("fees", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("deposit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("buyout_price", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("termination_fee_rate", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("cash_flow_profile", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("apr", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("risk_checks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "monthly_net_operating_cash_flow", sa.Numeric(precision=16, scale=2), nullable=False
        ),
        sa.Column("upfront_due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("down_payment_paid", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("credit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty_daily_rate", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("delinquency_bucket", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("credit >= 0", name=op.f("ck_leases_credit_not_negative")),
        sa.CheckConstraint(
            "down_payment_paid >= 0", name=op.f("ck_leases_down_payment_paid_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leases")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_leases_lessee_participant_id"),
        "leases",
        ["lessee_participant_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_leases_lessor_participant_id"),
        "leases",
        ["lessor_participant_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_leases_state"), "leases", ["state"], unique=False, schema="rental"
    )
    op.create_table(
        "lessor_financials",
        sa.Column("participant_id", sa.UUID(), nullable=False),
        sa.Column("net_assets", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_lessor_financials")),
        schema="rental",
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("reserved", sa.Boolean(), nullable=False),
        sa.Column("aggseq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_maintenance_windows_unit_id"),
        "maintenance_windows",
        ["unit_id"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "offerings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("kit_id", sa.UUID(), nullable=True),
        sa.Column("unit_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("modes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("rate_card", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("deposit", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("min_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("max_duration_minutes", sa.Integer(), nullable=True),
        sa.Column("turnaround_before_minutes", sa.Integer(), nullable=False),
        sa.Column("turnaround_after_minutes", sa.Integer(), nullable=False),
        sa.Column("service_terms", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("cancellation_policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("late_fee_per_hour", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("available_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("aggseq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offerings")),
        schema="rental",
    )
    op.create_table(
        "lease_payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("lease_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("allocations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("credit_after", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["rental.leases.id"], name=op.f("fk_lease_payments_lease_id_leases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease_payments")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_lease_payments_lease_id"),
        "lease_payments",
        ["lease_id"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "lease_receivables",
        sa.Column("lease_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("interest", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("principal_paid", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("interest_paid", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty_paid", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("penalty_through", sa.Date(), nullable=True),
        sa.Column("announced_due", sa.Boolean(), nullable=False),
        sa.Column("announced_paid", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "interest_paid <= interest", name=op.f("ck_lease_receivables_interest_not_overpaid")
        ),
        sa.CheckConstraint(
            "penalty_paid <= penalty", name=op.f("ck_lease_receivables_penalty_not_overpaid")
        ),
        sa.CheckConstraint(
            "principal_paid <= principal OR principal < 0",
            name=op.f("ck_lease_receivables_principal_not_overpaid"),
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["rental.leases.id"], name=op.f("fk_lease_receivables_lease_id_leases")
        ),
        sa.PrimaryKeyConstraint("lease_id", "kind", "period", name=op.f("pk_lease_receivables")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_lease_receivables_due_date"),
        "lease_receivables",
        ["due_date"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "lease_usage",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("lease_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("invoiced_month", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["rental.leases.id"], name=op.f("fk_lease_usage_lease_id_leases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease_usage")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_lease_usage_lease_id"),
        "lease_usage",
        ["lease_id"],
        unique=False,
        schema="rental",
    )
    op.create_table(
        "unit_reservations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("period", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("window_id", sa.UUID(), nullable=True),
        postgresql.ExcludeConstraint(
            (sa.column("unit_id"), "="),
            (sa.column("period"), "&&"),
            where=sa.text(
                "status IN ('held', 'confirmed', 'checked_out', 'returned', 'maintenance')"
            ),
            using="gist",
            name="no_double_booking",
        ),
        sa.CheckConstraint(
            "(booking_id IS NULL) <> (window_id IS NULL)",
            name=op.f("ck_unit_reservations_one_owner"),
        ),
        sa.CheckConstraint(
            "NOT isempty(period) AND lower_inc(period) AND NOT upper_inc(period)",
            name=op.f("ck_unit_reservations_half_open"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["rental.bookings.id"],
            name=op.f("fk_unit_reservations_booking_id_bookings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_reservations")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_unit_reservations_booking_id"),
        "unit_reservations",
        ["booking_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_unit_reservations_window_id"),
        "unit_reservations",
        ["window_id"],
        unique=False,
        schema="rental",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_rental_unit_reservations_window_id"),
        table_name="unit_reservations",
        schema="rental",
    )
    op.drop_index(
        op.f("ix_rental_unit_reservations_booking_id"),
        table_name="unit_reservations",
        schema="rental",
    )
    op.drop_table("unit_reservations", schema="rental")
    op.drop_index(op.f("ix_rental_lease_usage_lease_id"), table_name="lease_usage", schema="rental")
    op.drop_table("lease_usage", schema="rental")
    op.drop_index(
        op.f("ix_rental_lease_receivables_due_date"),
        table_name="lease_receivables",
        schema="rental",
    )
    op.drop_table("lease_receivables", schema="rental")
    op.drop_index(
        op.f("ix_rental_lease_payments_lease_id"), table_name="lease_payments", schema="rental"
    )
    op.drop_table("lease_payments", schema="rental")
    op.drop_table("offerings", schema="rental")
    op.drop_index(
        op.f("ix_rental_maintenance_windows_unit_id"),
        table_name="maintenance_windows",
        schema="rental",
    )
    op.drop_table("maintenance_windows", schema="rental")
    op.drop_table("lessor_financials", schema="rental")
    op.drop_index(op.f("ix_rental_leases_state"), table_name="leases", schema="rental")
    op.drop_index(
        op.f("ix_rental_leases_lessor_participant_id"), table_name="leases", schema="rental"
    )
    op.drop_index(
        op.f("ix_rental_leases_lessee_participant_id"), table_name="leases", schema="rental"
    )
    op.drop_table("leases", schema="rental")
    op.drop_index(
        op.f("ix_rental_fleet_units_lessor_participant_id"),
        table_name="fleet_units",
        schema="rental",
    )
    op.drop_table("fleet_units", schema="rental")
    op.drop_table("fleet_kits", schema="rental")
    op.drop_index(op.f("ix_rental_bookings_status"), table_name="bookings", schema="rental")
    op.drop_index(op.f("ix_rental_bookings_offering_id"), table_name="bookings", schema="rental")
    op.drop_index(
        op.f("ix_rental_bookings_customer_participant_id"), table_name="bookings", schema="rental"
    )
    op.drop_table("bookings", schema="rental")
