"""participants projection, eventing tables (the platform tables, version 1)

Revision ID: 0001_trading_base
Revises:
Create Date: 2026-11-26 06:33:25.245111
"""

from collections.abc import Sequence

from datapark_eventing.migrations import create_platform_tables_v1, drop_platform_tables_v1

revision: str = "0001_trading_base"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_platform_tables_v1("trading", participant_projection=True)


def downgrade() -> None:
    drop_platform_tables_v1("trading", participant_projection=True)
