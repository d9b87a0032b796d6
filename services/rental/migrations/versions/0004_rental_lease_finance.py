"""lease finance: VAT, invoices, LPR, sale-and-leaseback, classification, signing date

Revision ID: 0004_rental_lease_finance
Revises: 0003_rental_list_indexes
Create Date: 2026-11-30 12:00:39.869684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_rental_lease_finance"
down_revision: str | None = "0003_rental_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=16, scale=2)
RATE = sa.Numeric(precision=12, scale=8)


def upgrade() -> None:
    op.create_table(
        "lease_invoices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("lease_id", sa.UUID(), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("lessor_participant_id", sa.UUID(), nullable=False),
        sa.Column("lessee_participant_id", sa.UUID(), nullable=False),
        sa.Column("buyer_uscc", sa.String(length=18), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("vat_basis", sa.String(length=20), nullable=False),
        sa.Column("rate", RATE, nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("untaxed", MONEY, nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "total = net + tax", name=op.f("ck_lease_invoices_total_is_net_plus_tax")
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["rental.leases.id"], name=op.f("fk_lease_invoices_lease_id_leases")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["rental.lease_payments.id"],
            name=op.f("fk_lease_invoices_payment_id_lease_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lease_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_lease_invoices_number")),
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_lease_invoices_lease_id"),
        "lease_invoices",
        ["lease_id"],
        unique=False,
        schema="rental",
    )
    op.create_index(
        op.f("ix_rental_lease_invoices_payment_id"),
        "lease_invoices",
        ["payment_id"],
        unique=False,
        schema="rental",
    )
    # GET /v1/lease-invoices: a lessor's or a lessee's invoices.
    for party in ("lessor_participant_id", "lessee_participant_id"):
        op.create_index(
            op.f(f"ix_rental_lease_invoices_{party}"),
            "lease_invoices",
            [party],
            unique=False,
            schema="rental",
        )
    # Invoice numbers are drawn from one sequence: unique and gap-free per successful commit
    # is not promised (a rolled-back payment burns a number), unique always is.
    op.execute("CREATE SEQUENCE rental.lease_invoice_number")

    # Receivables so far are all leases of movable goods due after 2019-04-01: 13 %.
    op.add_column(
        "lease_receivables",
        sa.Column("vat_rate", RATE, server_default="0.13", nullable=False),
        schema="rental",
    )
    for column in (
        sa.Column("structure", sa.String(length=30), server_default="direct", nullable=False),
        sa.Column("asset", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("appraised_value", MONEY, nullable=True),
        sa.Column("rate_type", sa.String(length=20), server_default="fixed", nullable=False),
        sa.Column("lpr_spread", RATE, nullable=True),
        sa.Column("next_repricing_on", sa.Date(), nullable=True),
        sa.Column("classification", sa.String(length=20), nullable=True),
        sa.Column(
            "classification_criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=True
        ),
        sa.Column("vat_basis", sa.String(length=20), server_default="whole_rent", nullable=False),
        sa.Column("residual_guarantor_participant_id", sa.UUID(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
    ):
        op.add_column("leases", column, schema="rental")
    # Leases recorded before classification existed: a financing lease transfers ownership
    # (finance), the others are operating; the criteria say the row was backfilled.
    op.execute(
        """
        UPDATE rental.leases SET
          classification = CASE WHEN mode = 'financing' THEN 'finance' ELSE 'operating' END,
          classification_criteria = jsonb_build_object(
            'standard', 'IFRS 16 / ASC 842',
            'ownership_transfers', mode = 'financing',
            'variable_payments', mode = 'service',
            'backfilled', true)
        """
    )
    # Signed before the signing date was kept: the application day is the earliest it can be.
    op.execute(
        """
        UPDATE rental.leases SET signed_on = created_at::date
        WHERE state NOT IN ('draft', 'risk_review', 'approved', 'rejected', 'withdrawn')
        """
    )
    op.alter_column("leases", "classification", nullable=False, schema="rental")
    op.alter_column("leases", "classification_criteria", nullable=False, schema="rental")
    op.alter_column(
        "leases", "offering_id", existing_type=sa.UUID(), nullable=True, schema="rental"
    )
    op.create_index(
        op.f("ix_rental_leases_next_repricing_on"),
        "leases",
        ["next_repricing_on"],
        unique=False,
        schema="rental",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_rental_lease_invoices_payment_id"), table_name="lease_invoices", schema="rental"
    )
    op.drop_index(
        op.f("ix_rental_lease_invoices_lease_id"), table_name="lease_invoices", schema="rental"
    )
    op.drop_table("lease_invoices", schema="rental")
    op.execute("DROP SEQUENCE rental.lease_invoice_number")
    op.drop_index(op.f("ix_rental_leases_next_repricing_on"), table_name="leases", schema="rental")
    # A sale-and-leaseback has no offering: the old schema cannot hold it.
    op.execute(
        "DELETE FROM rental.lease_receivables WHERE lease_id IN "
        "(SELECT id FROM rental.leases WHERE offering_id IS NULL)"
    )
    op.execute(
        "DELETE FROM rental.lease_payments WHERE lease_id IN "
        "(SELECT id FROM rental.leases WHERE offering_id IS NULL)"
    )
    op.execute(
        "DELETE FROM rental.lease_usage WHERE lease_id IN "
        "(SELECT id FROM rental.leases WHERE offering_id IS NULL)"
    )
    op.execute("DELETE FROM rental.leases WHERE offering_id IS NULL")
    op.alter_column(
        "leases", "offering_id", existing_type=sa.UUID(), nullable=False, schema="rental"
    )
    for name in (
        "signed_on",
        "residual_guarantor_participant_id",
        "vat_basis",
        "classification_criteria",
        "classification",
        "next_repricing_on",
        "lpr_spread",
        "rate_type",
        "appraised_value",
        "asset",
        "structure",
    ):
        op.drop_column("leases", name, schema="rental")
    op.drop_column("lease_receivables", "vat_rate", schema="rental")
