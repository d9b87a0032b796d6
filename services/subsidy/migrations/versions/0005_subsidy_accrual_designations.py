"""earned, not promised: lease receivables and lease ends; designations as records with a
shared budget

Revision ID: 0005_subsidy_accrual
Revises: 0004_subsidy_claim_lapse
Create Date: 2026-11-30 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_subsidy_accrual"
down_revision: str | None = "0004_subsidy_claim_lapse"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Receivables of each lease, as scheduled, with when they fell due and were paid.
    op.create_table(
        "lease_receivables",
        sa.Column("lease_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("interest", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("fees", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("opening_balance", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("fell_due_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lease_id"],
            ["subsidy.leases.id"],
            name=op.f("fk_lease_receivables_lease_id_leases"),
        ),
        sa.PrimaryKeyConstraint("lease_id", "kind", "period", name=op.f("pk_lease_receivables")),
        schema="subsidy",
    )
    # The scheduled payments recorded so far become unpaid installments (nothing of them was
    # reported paid: the old projection never listened to payments).
    op.execute(
        """
        INSERT INTO subsidy.lease_receivables
            (lease_id, kind, period, due_on, amount, interest, fees, opening_balance)
        SELECT l.id, 'installment', p.ordinality, (p.item->>0)::date, (p.item->>1)::numeric,
               0, 0, 0
        FROM subsidy.leases l,
             jsonb_array_elements(l.payments) WITH ORDINALITY AS p(item, ordinality)
        """
    )
    op.drop_column("leases", "payments", schema="subsidy")
    op.alter_column("leases", "terminated_on", new_column_name="ended_on", schema="subsidy")
    op.add_column(
        "leases", sa.Column("end_reason", sa.String(length=30), nullable=True), schema="subsidy"
    )
    op.execute("UPDATE subsidy.leases SET end_reason = 'terminated' WHERE ended_on IS NOT NULL")
    # Undecided lease claims made under the old reading are earned at their year's end (or
    # their lease's end), like new ones: no review or payment before. (Their amounts are
    # brought to the new reading by the lease's next payment.)
    op.execute(
        """
        UPDATE subsidy.claims c
        SET earned_on = LEAST(
            make_date(c.period::int + 1, 1, 1),
            GREATEST(COALESCE(l.ended_on, 'infinity'::date), make_date(c.period::int, 1, 1))
        )
        FROM subsidy.leases l
        WHERE c.lease_id = l.id
          AND c.status = 'under_review'
          AND c.period ~ '^[0-9]{4}$'
        """
    )

    # Designations as operator-kept records.
    op.create_table(
        "designations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("designated_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('cluster', 'park')", name=op.f("ck_designations_known_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designations")),
        sa.UniqueConstraint("kind", "name", name="uq_designations_kind_name"),
        schema="subsidy",
    )

    # A designation's budget is shared by every applicant under it: no company on the row.
    op.alter_column("budgets", "participant_id", nullable=True, schema="subsidy")
    op.drop_constraint("uq_budgets_policy_company", "budgets", schema="subsidy", type_="unique")
    op.create_index(
        "uq_budgets_policy_company",
        "budgets",
        ["policy", "participant_id", "period"],
        unique=True,
        schema="subsidy",
        postgresql_where=sa.text("participant_id IS NOT NULL"),
    )
    op.create_index(
        "uq_budgets_policy_shared",
        "budgets",
        ["policy", "period"],
        unique=True,
        schema="subsidy",
        postgresql_where=sa.text("participant_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_budgets_policy_shared", table_name="budgets", schema="subsidy")
    op.drop_index("uq_budgets_policy_company", table_name="budgets", schema="subsidy")
    op.execute(
        "DELETE FROM subsidy.budget_entries WHERE budget_id IN "
        "(SELECT id FROM subsidy.budgets WHERE participant_id IS NULL)"
    )
    op.execute("DELETE FROM subsidy.budgets WHERE participant_id IS NULL")
    op.create_unique_constraint(
        "uq_budgets_policy_company",
        "budgets",
        ["policy", "participant_id", "period"],
        schema="subsidy",
    )
    op.alter_column("budgets", "participant_id", nullable=False, schema="subsidy")
    op.drop_table("designations", schema="subsidy")
    op.drop_column("leases", "end_reason", schema="subsidy")
    op.alter_column("leases", "ended_on", new_column_name="terminated_on", schema="subsidy")
    op.add_column(
        "leases",
        sa.Column(
            "payments",
            sa.dialects.postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default="[]",
        ),
        schema="subsidy",
    )
    op.execute(
        """
        UPDATE subsidy.leases l SET payments = coalesce((
            SELECT jsonb_agg(jsonb_build_array(r.due_on::text, r.amount::text)
                             ORDER BY r.due_on, r.period)
            FROM subsidy.lease_receivables r WHERE r.lease_id = l.id), '[]'::jsonb)
        """
    )
    op.alter_column("leases", "payments", server_default=None, schema="subsidy")
    op.drop_table("lease_receivables", schema="subsidy")
