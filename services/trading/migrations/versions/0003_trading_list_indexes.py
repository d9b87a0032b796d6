"""keyset indexes for the trade lists: (party, id) replaces the single-column party indexes of
agreements and negotiations; (subscription_id, id) for the webhook delivery log

Revision ID: 0003_trading_list_indexes
Revises: 0002_trading_trades
Create Date: 2026-11-26 08:06:27.242432
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_trading_list_indexes"
down_revision: str | None = "0002_trading_trades"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(
        op.f("ix_trading_agreements_consumer_id"), table_name="agreements", schema="trading"
    )
    op.drop_index(
        op.f("ix_trading_agreements_provider_id"), table_name="agreements", schema="trading"
    )
    op.create_index(
        "ix_agreements_consumer_keyset",
        "agreements",
        ["consumer_id", "id"],
        unique=False,
        schema="trading",
    )
    op.create_index(
        "ix_agreements_provider_keyset",
        "agreements",
        ["provider_id", "id"],
        unique=False,
        schema="trading",
    )
    op.drop_index(
        op.f("ix_trading_negotiations_consumer_id"), table_name="negotiations", schema="trading"
    )
    op.drop_index(
        op.f("ix_trading_negotiations_provider_id"), table_name="negotiations", schema="trading"
    )
    op.create_index(
        "ix_negotiations_consumer_keyset",
        "negotiations",
        ["consumer_id", "id"],
        unique=False,
        schema="trading",
    )
    op.create_index(
        "ix_negotiations_provider_keyset",
        "negotiations",
        ["provider_id", "id"],
        unique=False,
        schema="trading",
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_keyset",
        "webhook_deliveries",
        ["subscription_id", "id"],
        unique=False,
        schema="trading",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_deliveries_subscription_keyset",
        table_name="webhook_deliveries",
        schema="trading",
    )
    op.drop_index("ix_negotiations_provider_keyset", table_name="negotiations", schema="trading")
    op.drop_index("ix_negotiations_consumer_keyset", table_name="negotiations", schema="trading")
    op.create_index(
        op.f("ix_trading_negotiations_provider_id"),
        "negotiations",
        ["provider_id"],
        unique=False,
        schema="trading",
    )
    op.create_index(
        op.f("ix_trading_negotiations_consumer_id"),
        "negotiations",
        ["consumer_id"],
        unique=False,
        schema="trading",
    )
    op.drop_index("ix_agreements_provider_keyset", table_name="agreements", schema="trading")
    op.drop_index("ix_agreements_consumer_keyset", table_name="agreements", schema="trading")
    op.create_index(
        op.f("ix_trading_agreements_provider_id"),
        "agreements",
        ["provider_id"],
        unique=False,
        schema="trading",
    )
    op.create_index(
        op.f("ix_trading_agreements_consumer_id"),
        "agreements",
        ["consumer_id"],
        unique=False,
        schema="trading",
    )
