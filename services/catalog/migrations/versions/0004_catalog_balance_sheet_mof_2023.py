"""balance-sheet records by 财会〔2023〕11号: acquisition mode (purchased, self-developed,
processed) and the day an intangible asset is ready for use, from which it is amortised

Revision ID: 0004_catalog_balance_sheet_mof
Revises: 0003_catalog_search_indexes
Create Date: 2026-11-30 12:20:00

Existing records were all bought (the only mode there was) and were amortised from their
recognition day, so they become ``purchased`` and ready for use on ``recognised_on``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_catalog_balance_sheet_mof"
down_revision: str | None = "0003_catalog_search_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "balance_sheet_records",
        sa.Column(
            "acquisition_mode", sa.String(length=20), server_default="purchased", nullable=False
        ),
        schema="catalog",
    )
    op.add_column(
        "balance_sheet_records",
        sa.Column("ready_for_use_on", sa.Date(), nullable=True),
        schema="catalog",
    )
    op.execute(
        "UPDATE catalog.balance_sheet_records SET ready_for_use_on = recognised_on "
        "WHERE classification = 'intangible_asset'"
    )
    op.create_check_constraint(
        op.f("ck_balance_sheet_records_acquisition_mode"),
        "balance_sheet_records",
        "(classification = 'intangible_asset' AND acquisition_mode IN "
        "('purchased', 'self_developed')) OR (classification = 'inventory' AND "
        "acquisition_mode IN ('purchased', 'processed'))",
        schema="catalog",
    )
    op.create_check_constraint(
        op.f("ck_balance_sheet_records_ready_for_use"),
        "balance_sheet_records",
        "CASE WHEN classification = 'inventory' THEN ready_for_use_on IS NULL "
        "WHEN acquisition_mode = 'purchased' THEN ready_for_use_on IS NOT NULL "
        "ELSE true END",
        schema="catalog",
    )
    op.create_check_constraint(
        op.f("ck_balance_sheet_records_ready_after_recognition"),
        "balance_sheet_records",
        "ready_for_use_on IS NULL OR ready_for_use_on >= recognised_on",
        schema="catalog",
    )


def downgrade() -> None:
    for name in ("ready_after_recognition", "ready_for_use", "acquisition_mode"):
        op.drop_constraint(
            op.f(f"ck_balance_sheet_records_{name}"),
            "balance_sheet_records",
            schema="catalog",
            type_="check",
        )
    op.drop_column("balance_sheet_records", "ready_for_use_on", schema="catalog")
    op.drop_column("balance_sheet_records", "acquisition_mode", schema="catalog")
