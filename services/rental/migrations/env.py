"""Alembic environment of rental: its own schema, its version table inside it."""

from alembic import context

from datapark_kit.migrations import run_migrations
from datapark_rental.models import Base
from datapark_rental.settings import RentalSettings

run_migrations(
    context,
    metadata=Base.metadata,
    schema="rental",
    url=RentalSettings().database_url.get_secret_value(),
)
