"""Alembic environment of subsidy: its own schema, its version table inside it."""

from alembic import context

from datapark_kit.migrations import run_migrations
from datapark_subsidy.models import Base
from datapark_subsidy.settings import SubsidySettings

run_migrations(
    context,
    metadata=Base.metadata,
    schema="subsidy",
    url=SubsidySettings().database_url.get_secret_value(),
)
