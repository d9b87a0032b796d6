"""search whose cost does not grow with the catalog: keyset indexes on what is on offer, and
character n-grams (unigrams and bigrams, Chinese and Latin alike) in GIN indexes for text

Revision ID: 0003_catalog_search_indexes
Revises: 0002_catalog_products_fleet
Create Date: 2026-11-30 12:10:00

Why n-gram arrays and not pg_trgm: the park's databases use the C ctype, under which pg_trgm
treats every non-ASCII character as a separator (``show_trgm('电力负荷曲线')`` is empty), and
even under a Unicode ctype a two-character query such as 负荷 (or "ai") yields no trigram a
``LIKE '%…%'`` can use. Unigrams and bigrams need no extension and serve queries of any length.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_catalog_search_indexes"
down_revision: str | None = "0002_catalog_products_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every character and every pair of adjacent characters of the lower-cased parts joined by a
# space (the join mirrors the ILIKE over array_to_string(keywords, ' ') the search rechecks
# with, so a match there always has its n-grams here). lower() is the database's, the same
# ILIKE uses. One pass over the characters (string_to_array(.., NULL) and lead()): substr()
# at each position would walk the UTF-8 string from its start every time, quadratic in the
# length (1.5 s for a 10,000-character description; this takes 43 ms). Immutable, so it can
# feed a generated column and be folded at plan time.
SEARCH_GRAMS = """
CREATE OR REPLACE FUNCTION catalog.search_grams(parts text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT ch, lead(ch) OVER (ORDER BY i) AS next
          FROM unnest(string_to_array(lower(array_to_string(parts, ' ')), NULL))
               WITH ORDINALITY AS u(ch, i)) AS pairs,
         LATERAL (VALUES (ch), (ch || next)) AS v(g)
    WHERE g IS NOT NULL
$$
"""

# The n-grams a document must contain to contain the query: its bigrams, or the character
# itself for a one-character query.
QUERY_GRAMS = """
CREATE OR REPLACE FUNCTION catalog.search_query_grams(query text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cardinality(c) < 2 THEN c
                ELSE ARRAY(SELECT DISTINCT p
                           FROM (SELECT ch || lead(ch) OVER (ORDER BY i) AS p
                                 FROM unnest(c) WITH ORDINALITY AS u(ch, i)) AS pairs
                           WHERE p IS NOT NULL) END
    FROM string_to_array(lower(query), NULL) AS c
$$
"""


def upgrade() -> None:
    op.execute(SEARCH_GRAMS)
    op.execute(QUERY_GRAMS)
    op.add_column(
        "data_products",
        sa.Column(
            "search_grams",
            postgresql.ARRAY(sa.Text()),
            sa.Computed(
                "catalog.search_grams(ARRAY[title, description] || keywords)", persisted=True
            ),
            nullable=False,
        ),
        schema="catalog",
    )
    op.add_column(
        "rental_offerings",
        sa.Column(
            "search_grams",
            postgresql.ARRAY(sa.Text()),
            sa.Computed("catalog.search_grams(ARRAY[title, location, category])", persisted=True),
            nullable=False,
        ),
        schema="catalog",
    )
    listed = sa.text("state = 'listed'")
    published = sa.text("state = 'published'")
    op.create_index(
        "ix_venue_listings_listed_order",
        "venue_listings",
        ["listed_at", "id"],
        schema="catalog",
        postgresql_where=listed,
    )
    op.create_index(
        "ix_venue_listings_listed_venue",
        "venue_listings",
        ["venue_code", "listed_at", "id"],
        schema="catalog",
        postgresql_where=listed,
    )
    op.create_index(
        "ix_venue_listings_listed_price",
        "venue_listings",
        ["headline_price"],
        schema="catalog",
        postgresql_where=listed,
    )
    op.create_index(
        "ix_data_products_listed_domain",
        "data_products",
        ["domain"],
        schema="catalog",
        postgresql_where=listed,
    )
    op.create_index(
        "ix_data_products_listed_grams",
        "data_products",
        ["search_grams"],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=listed,
    )
    op.create_index(
        "ix_rental_offerings_published_order",
        "rental_offerings",
        ["published_at", "id"],
        schema="catalog",
        postgresql_where=published,
    )
    op.create_index(
        "ix_rental_offerings_published_category",
        "rental_offerings",
        ["category", "published_at", "id"],
        schema="catalog",
        postgresql_where=published,
    )
    op.create_index(
        "ix_rental_offerings_published_price",
        "rental_offerings",
        ["headline_price"],
        schema="catalog",
        postgresql_where=published,
    )
    op.create_index(
        "ix_rental_offerings_published_grams",
        "rental_offerings",
        ["search_grams"],
        schema="catalog",
        postgresql_using="gin",
        postgresql_where=published,
    )


def downgrade() -> None:
    for table, name in (
        ("rental_offerings", "ix_rental_offerings_published_grams"),
        ("rental_offerings", "ix_rental_offerings_published_price"),
        ("rental_offerings", "ix_rental_offerings_published_category"),
        ("rental_offerings", "ix_rental_offerings_published_order"),
        ("data_products", "ix_data_products_listed_grams"),
        ("data_products", "ix_data_products_listed_domain"),
        ("venue_listings", "ix_venue_listings_listed_price"),
        ("venue_listings", "ix_venue_listings_listed_venue"),
        ("venue_listings", "ix_venue_listings_listed_order"),
    ):
        op.drop_index(name, table_name=table, schema="catalog")
    op.drop_column("rental_offerings", "search_grams", schema="catalog")
    op.drop_column("data_products", "search_grams", schema="catalog")
    op.execute("DROP FUNCTION catalog.search_query_grams(text)")
    op.execute("DROP FUNCTION catalog.search_grams(text[])")
