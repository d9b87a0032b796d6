"""the auditors' read-only role: SELECT on every table of the subsidy schema

Revision ID: 0006_subsidy_audit_reader
Revises: 0005_subsidy_accrual
Create Date: 2026-11-30 12:50:54

``datapark-audit rebuild --compare`` reads the service's tables through
``datapark_audit_reader`` (no login of its own; an operator grants it to each auditor's
login). Tables that later migrations create are covered by the default privileges.
"""

from collections.abc import Sequence

from datapark_eventing.migrations import grant_audit_reader_v1, revoke_audit_reader_v1

revision: str = "0006_subsidy_audit_reader"
down_revision: str | None = "0005_subsidy_accrual"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    grant_audit_reader_v1("subsidy")


def downgrade() -> None:
    revoke_audit_reader_v1("subsidy")
