"""text search bounded by recency: each venue listing carries its product's n-grams, indexed
together with ``listed_at`` (GIN, ``btree_gin``), so the newest matches are found in a window
of the newest rows without reading every match (issue #19)

Revision ID: 0007_catalog_listing_grams
Revises: 0006_catalog_offering_seconds
Create Date: 2026-11-30 15:50:00

``venue_listings.search_grams`` is a copy of ``data_products.search_grams`` (migration 0003),
kept by two triggers: a listing takes its product's n-grams when it is inserted or moved to
another product, and a product whose n-grams change (its title, description or keywords)
hands them to its listings. ``btree_gin`` is a trusted extension (PostgreSQL 13+): the
database's owner creates it without being a superuser.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_catalog_listing_grams"
down_revision: str | None = "0006_catalog_offering_seconds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTING_TAKES_GRAMS = """
CREATE FUNCTION catalog.venue_listing_takes_grams() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_grams := coalesce(
        (SELECT search_grams FROM catalog.data_products WHERE id = NEW.product_id), '{}');
    RETURN NEW;
END
$$
"""

PRODUCT_GIVES_GRAMS = """
CREATE FUNCTION catalog.data_product_gives_grams() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog.venue_listings SET search_grams = NEW.search_grams
    WHERE product_id = NEW.id;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.add_column(
        "venue_listings",
        sa.Column(
            "search_grams",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        schema="catalog",
    )
    op.execute(LISTING_TAKES_GRAMS)
    op.execute(PRODUCT_GIVES_GRAMS)
    op.execute(
        "CREATE TRIGGER venue_listing_takes_grams BEFORE INSERT OR UPDATE OF product_id "
        "ON catalog.venue_listings FOR EACH ROW EXECUTE FUNCTION catalog.venue_listing_takes_grams()"
    )
    op.execute(
        "CREATE TRIGGER data_product_gives_grams AFTER UPDATE ON catalog.data_products "
        "FOR EACH ROW WHEN (OLD.search_grams IS DISTINCT FROM NEW.search_grams) "
        "EXECUTE FUNCTION catalog.data_product_gives_grams()"
    )
    op.execute(
        "UPDATE catalog.venue_listings AS l SET search_grams = p.search_grams "
        "FROM catalog.data_products AS p WHERE p.id = l.product_id"
    )
    op.create_index(
        "ix_venue_listings_listed_grams",
        "venue_listings",
        ["search_grams", "listed_at"],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'listed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_venue_listings_listed_grams", table_name="venue_listings", schema="catalog")
    op.execute("DROP TRIGGER data_product_gives_grams ON catalog.data_products")
    op.execute("DROP TRIGGER venue_listing_takes_grams ON catalog.venue_listings")
    op.execute("DROP FUNCTION catalog.data_product_gives_grams()")
    op.execute("DROP FUNCTION catalog.venue_listing_takes_grams()")
    op.drop_column("venue_listings", "search_grams", schema="catalog")
