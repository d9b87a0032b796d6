"""Alembic environment of catalog: its own schema, its version table inside it."""

from alembic import context

from datapark_catalog.models import Base
from datapark_catalog.settings import CatalogSettings
from datapark_kit.migrations import run_migrations

run_migrations(
    context,
    metadata=Base.metadata,
    schema="catalog",
    url=CatalogSettings().database_url.get_secret_value(),
)
