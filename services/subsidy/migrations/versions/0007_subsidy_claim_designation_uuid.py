"""a claim names its designation by the designation's id (a UUID column with a foreign key);
the free-text designation codes of applications made before designations were records become
designation records

Revision ID: 0007_subsidy_claim_designation
Revises: 0006_subsidy_audit_reader
Create Date: 2026-11-30 15:45:00

Before 0005 an applicant typed its designation as free text (``FJ-P-16c68a``) and its cap was
a per-company budget ``designation:<code>``; 0005 made designations operator-kept records
referenced by id but left those claims as they were, so a claim row could hold a code that
``GET /v1/claims`` (a UUID field) and a review (which reads the designation) cannot read.

Each code still on a claim becomes a designation record: its id derived from the code (uuid5,
so a rerun on a copy gives the same ids), its kind from the claim's policy, the code as its
name, the region of the first applicant (``350000``, Fujian, if that one lies elsewhere), the
day of the first application as its date (an application never precedes its designation),
recorded by the first applicant, when the first claim was created. Its claims and budget
follow: ``designation:<code>`` becomes ``designation:<id>``, and the per-company budget rows
of the code become the one shared row a designation has now (draws added up; if the old
per-company rows drew more between them than the cap, the row's cap is raised to what was
drawn, so nothing more can be drawn under it rather than the migration failing).

The downgrade returns the column to text holding the ids; the codes are not restored (the
designation records keep them as names).
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_subsidy_claim_designation"
down_revision: str | None = "0006_subsidy_audit_reader"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEGACY = uuid.UUID("6f1d3c52-8a47-4e0b-9b1f-2d7c5e9a4b30")
"""Namespace of the ids given to designation codes recorded before designations were records."""

_KIND = {"fujian_data_cluster": "cluster", "fujian_data_park": "park"}


def upgrade() -> None:
    bind = op.get_bind()
    legacy = bind.execute(
        sa.text(
            """
            SELECT c.designation_id AS code,
                   (array_agg(c.policy ORDER BY c.created_at, c.id))[1] AS policy,
                   (array_agg(c.participant_id ORDER BY c.created_at, c.id))[1] AS applicant,
                   min(c.earned_on) AS applied_on,
                   min(c.created_at) AS created_at
            FROM subsidy.claims c
            WHERE c.designation_id IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM subsidy.designations d WHERE d.id::text = c.designation_id)
            GROUP BY c.designation_id
            ORDER BY c.designation_id
            """
        )
    ).all()
    for code, policy, applicant, applied_on, created_at in legacy:
        designation_id = uuid.uuid5(_LEGACY, code)
        kind = _KIND.get(policy, "park")
        region = bind.execute(
            sa.text("SELECT region_code FROM subsidy.participants WHERE id = :id"),
            {"id": applicant},
        ).scalar_one_or_none()
        if region is None or not region.startswith("35"):
            region = "350000"
        name = code
        taken = bind.execute(
            sa.text("SELECT 1 FROM subsidy.designations WHERE kind = :kind AND name = :name"),
            {"kind": kind, "name": name},
        ).first()
        if taken is not None:
            name = f"{code} ({designation_id})"
        bind.execute(
            sa.text(
                """
                INSERT INTO subsidy.designations
                    (id, kind, name, region_code, designated_on, recorded_by, created_at)
                VALUES (:id, :kind, :name, :region, :designated_on, :recorded_by, :created_at)
                """
            ),
            {
                "id": designation_id,
                "kind": kind,
                "name": name,
                "region": region,
                "designated_on": applied_on,
                "recorded_by": applicant,
                "created_at": created_at,
            },
        )
        old_period, new_period = f"designation:{code}", f"designation:{designation_id}"
        bind.execute(
            sa.text(
                """
                UPDATE subsidy.claims
                SET designation_id = :id,
                    period = CASE WHEN period = :old THEN :new ELSE period END
                WHERE designation_id = :code
                """
            ),
            {"id": str(designation_id), "code": code, "old": old_period, "new": new_period},
        )
        _share_budgets(bind, old_period, new_period)

    op.alter_column(
        "claims",
        "designation_id",
        type_=postgresql.UUID(as_uuid=True),
        existing_type=sa.String(length=100),
        existing_nullable=True,
        postgresql_using="designation_id::uuid",
        schema="subsidy",
    )
    op.create_foreign_key(
        op.f("fk_claims_designation_id_designations"),
        "claims",
        "designations",
        ["designation_id"],
        ["id"],
        source_schema="subsidy",
        referent_schema="subsidy",
    )


def _share_budgets(bind: sa.Connection, old_period: str, new_period: str) -> None:
    """Fold the per-company budget rows of a designation code into its one shared row."""
    rows = bind.execute(
        sa.text(
            """
            SELECT id, cap, reserved, committed FROM subsidy.budgets
            WHERE period = :old ORDER BY created_at, id
            """
        ),
        {"old": old_period},
    ).all()
    if not rows:
        return
    kept, others = rows[0].id, [r.id for r in rows[1:]]
    reserved = sum(r.reserved for r in rows)
    committed = sum(r.committed for r in rows)
    cap = max(rows[0].cap, reserved + committed)
    for other in others:
        bind.execute(
            sa.text("UPDATE subsidy.budget_entries SET budget_id = :kept WHERE budget_id = :other"),
            {"kept": kept, "other": other},
        )
        bind.execute(sa.text("DELETE FROM subsidy.budgets WHERE id = :other"), {"other": other})
    bind.execute(
        sa.text(
            """
            UPDATE subsidy.budgets
            SET participant_id = NULL, period = :new, cap = :cap,
                reserved = :reserved, committed = :committed
            WHERE id = :kept
            """
        ),
        {
            "kept": kept,
            "new": new_period,
            "cap": cap,
            "reserved": reserved,
            "committed": committed,
        },
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_claims_designation_id_designations"),
        "claims",
        schema="subsidy",
        type_="foreignkey",
    )
    op.alter_column(
        "claims",
        "designation_id",
        type_=sa.String(length=100),
        existing_type=postgresql.UUID(as_uuid=True),
        existing_nullable=True,
        postgresql_using="designation_id::text",
        schema="subsidy",
    )
