"""text search bounded by recency for both kinds, at a cost set by the window and not the
catalog: the n-gram GIN indexes carry a coarse recency bucket instead of each row's own
timestamp, and rental offerings get theirs (issue #19)

Revision ID: 0008_catalog_recency_buckets
Revises: 0007_catalog_listing_grams
Create Date: 2026-11-30 17:30:00

``catalog.recency_bucket(t)`` is the 64-second interval ``t`` falls in (a bigint, immutable:
``timestamptz - timestamptz`` and ``date_part`` of an interval do not depend on the session's
time zone). Migration 0007 indexed ``(search_grams, listed_at)``: a window of the newest W
rows was a range of W distinct timestamp keys in the GIN, each with a one-row posting list,
about 115 ns a key (0.2 ms for 4,096 rows at 100,000 products). With the bucket the range
is at most one key per 64 seconds, whose posting lists GIN decodes in bulk (0.1 ms for the
same window); where listings are sparser than one per 64 seconds each key still holds one
row, as before. The search rechecks the exact ``listed_at`` / ``published_at`` bound on the rows found.

Rental offerings had only a GIN of their n-grams; their text pages read every match when
the newest rows held less than a page. Their n-grams are a generated column of their own row
(migration 0003), so the index needs no trigger; it replaces the n-gram-only index, whose
lookups it also serves (GIN answers a condition on its first column alone).

Both indexes are built with ``CREATE INDEX`` on the populated tables (a few seconds at
100,000 rows; the tables are locked against writes meanwhile, as 0003 and 0007 did).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_catalog_recency_buckets"
down_revision: str | None = "0007_catalog_listing_grams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECENCY_BUCKET = """
CREATE FUNCTION catalog.recency_bucket(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(date_part('epoch', t - '2000-01-01 00:00:00+00'::timestamptz) / 64)::bigint
$$
"""


def upgrade() -> None:
    op.execute(RECENCY_BUCKET)
    op.drop_index("ix_venue_listings_listed_grams", table_name="venue_listings", schema="catalog")
    op.create_index(
        "ix_venue_listings_recent_grams",
        "venue_listings",
        ["search_grams", sa.text("catalog.recency_bucket(listed_at)")],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'listed'"),
    )
    op.drop_index(
        "ix_rental_offerings_published_grams", table_name="rental_offerings", schema="catalog"
    )
    op.create_index(
        "ix_rental_offerings_recent_grams",
        "rental_offerings",
        ["search_grams", sa.text("catalog.recency_bucket(published_at)")],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'published'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_rental_offerings_recent_grams", table_name="rental_offerings", schema="catalog"
    )
    op.create_index(
        "ix_rental_offerings_published_grams",
        "rental_offerings",
        ["search_grams"],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'published'"),
    )
    op.drop_index("ix_venue_listings_recent_grams", table_name="venue_listings", schema="catalog")
    op.create_index(
        "ix_venue_listings_listed_grams",
        "venue_listings",
        ["search_grams", "listed_at"],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'listed'"),
    )
    op.execute("DROP FUNCTION catalog.recency_bucket(timestamptz)")
