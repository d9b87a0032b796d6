"""Alembic environment of trading: its own schema, its version table inside it."""

from alembic import context

from datapark_kit.migrations import run_migrations
from datapark_trading.models import Base
from datapark_trading.settings import TradingSettings

run_migrations(
    context,
    metadata=Base.metadata,
    schema="trading",
    url=TradingSettings().database_url.get_secret_value(),
)
