"""The search's cost does not grow with the catalog: on 20,000 generated products in a scratch
database, EXPLAIN shows the first page and a deep cursor page walking the partial keyset
indexes (no sort of every listed row, no sequential scan), a text query -- two Chinese
characters, which pg_trgm could not index -- narrowing through the n-gram GIN indexes, and
each route of a text page (listings/repository.py) reading a bounded window: a common term
never touches GIN, a rarer one is found by GIN in windows of the newest listings or offerings
(n-grams and a recency bucket in one index), never by reading every match. And the text
pages are exactly those of the definition (ILIKE over the documents, newest first) for
common, 1 %, rare and absent terms, Chinese and Latin, first and cursor pages, custom and
generic plans. Migration 0008 upgrades and downgrades a populated catalog."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from integration.catalog.catalog_search_volume import NEEDLE, NEEDLE_EVERY, add_catalog_volume
from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)
from support.scratch_database import alembic, scratch_database

from datapark_catalog.fleet.models import RentalOfferingRow
from datapark_catalog.listings.repository import (
    FEW_MATCHES_PAGES,
    NEWEST_PAGES,
    RECENT_WINDOWS,
    Hit,
    SearchRepository,
)
from datapark_catalog.listings.search import Cursor, ListingKind, SearchFilter
from datapark_catalog.products.models import DataProduct, VenueListingRow
from datapark_contracts.events.catalog_listings import DataDomain, RobotCategory

pytestmark = pytest.mark.integration

PRODUCTS = 20_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# Terms only old products hold (products 1,000-1,399, listed thousands of rows before the
# newest): more matches than the probe takes, none in the first two windows.
OLD_TERMS = ("旧档案", "archive")
# Offerings: a term in one offering in twenty (100 of 2,000, spread over all of them), and one
# only the oldest hundred hold (offerings 1-100).
OFFERING_TERM, OLD_OFFERING_TERM = "巡回", "旧型"


@pytest.fixture(scope="module")
async def volume() -> AsyncIterator[AsyncEngine]:
    async with scratch_database(["catalog"]) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await add_catalog_volume(conn, 1, PRODUCTS, EPOCH)
                await conn.execute(
                    text(
                        "UPDATE catalog.data_products SET title = title || :terms "
                        "WHERE id BETWEEN :first AND :last"
                    ),
                    {
                        "terms": " " + " ".join(OLD_TERMS),
                        "first": product(1000),
                        "last": product(1399),
                    },
                )
                await conn.execute(
                    text(
                        "UPDATE catalog.rental_offerings SET title = title || :term "
                        "WHERE ('x' || right(id::text, 12))::bit(48)::bigint % 20 = 3"
                    ),
                    {"term": " " + OFFERING_TERM},
                )
                await conn.execute(
                    text(
                        "UPDATE catalog.rental_offerings SET title = title || :term "
                        "WHERE ('x' || right(id::text, 12))::bit(48)::bigint <= 100"
                    ),
                    {"term": " " + OLD_OFFERING_TERM},
                )
            # What autovacuum does after a bulk load: statistics, and GIN's entry counts.
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                for table in ("data_products", "venue_listings", "rental_offerings"):
                    await conn.execute(text(f"VACUUM ANALYZE catalog.{table}"))
            yield engine
        finally:
            await engine.dispose()


def product(g: int) -> UUID:
    """The id the volume gives product ``g`` (catalog_search_volume.py)."""
    return UUID(f"00000000-0000-7000-8000-{g:012x}")


async def plan(
    conn: AsyncConnection, query: Select[Any], *, generic: bool = False, tree: bool = False
) -> str:
    """EXPLAIN ANALYZE of ``query`` as the app runs it (as JSON with ``tree``); ``generic``:
    as the generic plan a prepared statement switches to after five runs (parameters unknown
    at planning)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    explain = (
        "EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON)" if tree else "EXPLAIN (ANALYZE, COSTS OFF)"
    )
    if not generic:
        rows = await conn.exec_driver_sql(f"{explain} {compiled}", params)
        return shown(list(rows))
    values = ", ".join("'" + str(value).replace("'", "''") + "'" for value in params)
    await conn.exec_driver_sql(f"PREPARE search_page AS {compiled}")
    try:
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        execute = f"EXECUTE search_page({values})" if values else "EXECUTE search_page"
        rows = await conn.exec_driver_sql(f"{explain} {execute}")
        return shown(list(rows))
    finally:
        await conn.exec_driver_sql("RESET plan_cache_mode")
        await conn.exec_driver_sql("DEALLOCATE search_page")


def shown(rows: list[Any]) -> str:
    """EXPLAIN's text lines, or its JSON (which the driver hands over decoded) as JSON."""
    if len(rows) == 1 and not isinstance(rows[0][0], str):
        return json.dumps(rows[0][0])
    return "\n".join(str(row[0]) for row in rows)


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from nodes(child)


async def walks(
    conn: AsyncConnection, query: Select[Any], *, generic: bool
) -> dict[str, list[int]]:
    """Rows read by each executed scan of ``query``'s plan, by index (or "Seq Scan")."""
    explained = json.loads(await plan(conn, query, generic=generic, tree=True))
    read: dict[str, list[int]] = {}
    for node in nodes(explained[0]["Plan"]):
        if "Scan" in node["Node Type"] and node["Actual Loops"] > 0:
            name = node.get("Index Name") or node["Node Type"]
            read.setdefault(name, []).append(node["Actual Rows"] * node["Actual Loops"])
    return read


def statement(f: SearchFilter, after: Cursor | None = None) -> Select[Any]:
    kinds = {"products": f.kind is not ListingKind.RENTAL_OFFERING}
    kinds["offerings"] = f.kind is not ListingKind.DATA_PRODUCT
    return SearchRepository.statement(f, after, f.limit + 1, **kinds)


async def test_first_and_deep_pages_walk_the_keyset_indexes(volume: AsyncEngine) -> None:
    deep = Cursor(EPOCH + timedelta(seconds=PRODUCTS // 5), UUID(int=0))
    async with volume.connect() as conn:
        for after, generic in ((None, False), (deep, False), (None, True), (deep, True)):
            shown = await plan(conn, statement(SearchFilter(), after), generic=generic)
            assert "Index Scan Backward using ix_venue_listings_listed_order" in shown, shown
            assert "Index Scan Backward using ix_rental_offerings_published_order" in shown, shown
            assert "Seq Scan" not in shown, shown
            assert "Sort Method" not in shown, shown  # rows come in index order, none sorted
        deep_plan = await plan(conn, statement(SearchFilter(), deep))
        assert "Index Cond: (ROW(listed_at, id) < ROW(" in deep_plan, deep_plan


async def test_two_character_chinese_text_uses_the_ngram_indexes(volume: AsyncEngine) -> None:
    async with volume.connect() as conn:
        shown = await plan(conn, statement(SearchFilter(text=NEEDLE)))
        assert "Bitmap Index Scan on ix_data_products_listed_grams" in shown, shown
        assert "Bitmap Index Scan on ix_rental_offerings_recent_grams" in shown, shown
        assert "Seq Scan" not in shown, shown
        # Index and recheck find exactly the listed products about 负荷: one in NEEDLE_EVERY.
        only_products = SearchFilter(text=NEEDLE, kind=ListingKind.DATA_PRODUCT)
        query = SearchRepository.statement(
            only_products, None, 1000, products=True, offerings=False
        )
        titles = [row.title for row in await conn.execute(query)]
        assert len(titles) == PRODUCTS // NEEDLE_EVERY
        assert all(title.startswith("电力负荷曲线") for title in titles)


async def test_latin_text_and_filters_use_indexes(volume: AsyncEngine) -> None:
    async with volume.connect() as conn:
        shown = await plan(conn, statement(SearchFilter(text="第777号")))
        assert "Bitmap Index Scan on ix_data_products_listed_grams" in shown, shown
        shown = await plan(conn, statement(SearchFilter(text="Humanoid helper 77")))
        assert "Bitmap Index Scan on ix_rental_offerings_recent_grams" in shown, shown
        shown = await plan(conn, statement(SearchFilter(venue="SZDE")))
        assert "Seq Scan" not in shown, shown
        assert "Index Scan Backward" in shown, shown


async def test_ngrams_of_documents_and_queries(volume: AsyncEngine) -> None:
    async with volume.connect() as conn:

        async def grams(sql: str) -> set[str]:
            return set((await conn.execute(text(sql))).scalar_one())

        assert await grams("SELECT catalog.search_grams(ARRAY['电力负荷', 'Ab'])") == {
            "电", "力", "负", "荷", "电力", "力负", "负荷", "荷 ", " ", " a", "a", "b", "ab",
        }  # fmt: skip
        assert await grams("SELECT catalog.search_query_grams('负荷')") == {"负荷"}
        assert await grams("SELECT catalog.search_query_grams('电')") == {"电"}
        assert await grams("SELECT catalog.search_query_grams('LOAD')") == {"lo", "oa", "ad"}
        assert await grams("SELECT catalog.search_query_grams('a b')") == {"a ", " b"}


ORDER = "ix_venue_listings_listed_order"
GRAMS = "ix_data_products_listed_grams"
RECENT = "ix_venue_listings_recent_grams"
OFFERING_ORDER = "ix_rental_offerings_published_order"
OFFERING_GRAMS = "ix_rental_offerings_recent_grams"
PROBES = ("ix_catalog_venue_listings_product_id", "uq_venue_listings_live")


def probed(read: dict[str, list[int]]) -> list[int]:
    """Listings found by probing a product's listings (either index on product_id)."""
    return [rows for index in PROBES for rows in read.get(index, [])]


def products_page(text: str, limit: int = 20) -> Select[Any]:
    f = SearchFilter(text=text, kind=ListingKind.DATA_PRODUCT, limit=limit)
    return SearchRepository.statement(f, None, limit + 1, products=True, offerings=False)


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_text_routes_read_bounded_windows(volume: AsyncEngine, generic: bool) -> None:
    page = 21
    async with volume.connect() as conn:
        # A third of the catalog: settled by the newest rows, checked in place; GIN unused.
        read = await walks(conn, products_page("数据"), generic=generic)
        assert len(read[ORDER]) == 1, read
        assert read[ORDER][0] <= NEWEST_PAGES * page, read
        assert GRAMS not in read, read
        assert "Seq Scan" not in read, read
        # One product in a hundred (200 here), two among the newest rows: the newest matches
        # found by one GIN lookup of the listings' (n-grams, recency bucket) in the window of
        # the newest 2,048 rows (a full page; the 1,024-row window is skipped as too small for
        # two matches in 168 rows). The matching set is never read (GIN on products unused),
        # no probe, no read of every match.
        read = await walks(conn, products_page(NEEDLE), generic=generic)
        assert read[ORDER] == [NEWEST_PAGES * page, RECENT_WINDOWS[1]], read
        assert len(read[RECENT]) == 1, read
        assert page <= read[RECENT][0] <= RECENT_WINDOWS[1] // 60, read
        assert GRAMS not in read, read
        assert probed(read) == [], read
        assert "Seq Scan" not in read, read
        # One product: the newest rows, the matching set (one, from GIN), its listing probed;
        # no window.
        read = await walks(conn, products_page("第707号"), generic=generic)
        assert read[ORDER] == [NEWEST_PAGES * page], read
        assert probed(read) == [1], read
        assert RECENT not in read, read
        # 360 old products (340 listings listed), none among the newest: more matches than
        # the probe takes (capped read), so the windows run from the first for none in the
        # newest rows: 4,096 rows hold none; the next (16,384 of about 17,100 listed rows)
        # reaches back to them and finds all 340 in one GIN lookup. No probe; no wider window.
        read = await walks(conn, products_page("旧档案"), generic=generic)
        assert len(read[GRAMS]) == 1, read
        assert read["Bitmap Heap Scan"] == [FEW_MATCHES_PAGES * page + 1, 0, 340], read
        assert read[ORDER] == [NEWEST_PAGES * page, *RECENT_WINDOWS[2:4]], read
        assert read[RECENT] == [0, 340], read
        assert probed(read) == [], read
        assert "Seq Scan" not in read, read
        # Nothing matches: the newest rows, an empty GIN lookup, nothing else.
        read = await walks(conn, products_page("无此词"), generic=generic)
        assert read[ORDER] == [NEWEST_PAGES * page], read
        assert read[GRAMS] == [0], read
        assert RECENT not in read, read


def offerings_page(text: str, limit: int = 20) -> Select[Any]:
    f = SearchFilter(text=text, kind=ListingKind.RENTAL_OFFERING, limit=limit)
    return SearchRepository.statement(f, None, limit + 1, products=False, offerings=True)


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_offering_text_routes_read_bounded_windows(
    volume: AsyncEngine, generic: bool
) -> None:
    """Offerings (``GET /v1/listings?kind=rental_offering&text=``) take the products' routes
    on their own index of (n-grams, recency bucket)."""
    page = 21
    async with volume.connect() as conn:
        # Half the offerings: settled by the newest rows; GIN unused.
        read = await walks(conn, offerings_page("Humanoid"), generic=generic)
        assert len(read[OFFERING_ORDER]) == 1, read
        assert read[OFFERING_ORDER][0] <= NEWEST_PAGES * page, read
        assert OFFERING_GRAMS not in read, read
        assert "Seq Scan" not in read, read
        # One in twenty: about eight among the newest rows, so straight to the window of the
        # newest 1,024 offerings (about 51 matches): one GIN lookup, no matching set.
        read = await walks(conn, offerings_page(OFFERING_TERM), generic=generic)
        assert read[OFFERING_ORDER] == [NEWEST_PAGES * page, RECENT_WINDOWS[0]], read
        assert len(read[OFFERING_GRAMS]) == 1, read
        assert page <= read[OFFERING_GRAMS][0] <= RECENT_WINDOWS[0] // 20 + 1, read
        assert "Seq Scan" not in read, read
        # Only the oldest hundred: the matching set (capped), then the window of 4,096 rows,
        # which reaches past the oldest of the 2,000 offerings: all 100 in one GIN lookup.
        read = await walks(conn, offerings_page(OLD_OFFERING_TERM), generic=generic)
        assert read[OFFERING_GRAMS] == [100, 100], read
        assert read["Bitmap Heap Scan"] == [FEW_MATCHES_PAGES * page + 1, 100], read
        assert read[OFFERING_ORDER] == [NEWEST_PAGES * page, PRODUCTS // 10], read
        assert "Seq Scan" not in read, read
        # One offering: the matching set (one, of the few GIN candidates holding its bigrams)
        # and nothing else.
        read = await walks(conn, offerings_page("helper 1777"), generic=generic)
        assert read[OFFERING_ORDER] == [NEWEST_PAGES * page], read
        assert len(read[OFFERING_GRAMS]) == 1, read
        assert read["Bitmap Heap Scan"] == [1], read
        assert "Seq Scan" not in read, read


async def test_listings_carry_their_products_ngrams(volume: AsyncEngine) -> None:
    """Migration 0007's triggers: a listing takes its product's n-grams when inserted or
    moved, and a product's new text reaches its listings (and so the search)."""
    ngrams = text(
        "SELECT l.search_grams = p.search_grams FROM catalog.venue_listings AS l "
        "JOIN catalog.data_products AS p ON p.id = l.product_id WHERE l.id = :listing"
    )
    listing = UUID("00000000-0000-7000-a000-00000000abcd")
    async with volume.connect() as conn:
        transaction = await conn.begin()
        try:
            assert await conn.scalar(
                text(
                    "SELECT bool_and(l.search_grams = p.search_grams) "
                    "FROM catalog.venue_listings AS l "
                    "JOIN catalog.data_products AS p ON p.id = l.product_id"
                )
            )
            await conn.execute(
                text("UPDATE catalog.data_products SET title = '风电功率预测' WHERE id = :p"),
                {"p": product(7)},
            )
            found = SearchFilter(text="功率", kind=ListingKind.DATA_PRODUCT)
            hits = await SearchRepository(AsyncSession(bind=conn)).page(
                found, None, 21, products=True, offerings=False
            )
            assert [hit.product_id for hit in hits] == [product(7)]
            await conn.execute(
                text(
                    "INSERT INTO catalog.venue_listings (id, product_id, venue_code, reference, "
                    "state, price_kind, price_terms, listed_at, updated_at) "
                    "VALUES (:l, :p, 'SZDE', 'GRAMS-1', 'listed', 'negotiable', "
                    '\'{"kind": "negotiable"}\', now(), now())'
                ),
                {"l": listing, "p": product(10)},
            )
            assert await conn.scalar(ngrams, {"listing": listing})
            await conn.execute(
                text("UPDATE catalog.venue_listings SET product_id = :p WHERE id = :l"),
                {"l": listing, "p": product(20)},
            )
            assert await conn.scalar(ngrams, {"listing": listing})
        finally:
            await transaction.rollback()


def definition(f: SearchFilter, products: bool, offerings: bool) -> list[Select[Any]]:
    """What a text search means, without indexes or n-grams: the listed products and
    published offerings one of whose texts holds the query, case-insensitively."""
    assert f.text is not None

    def holds(*columns: Any) -> Any:
        return or_(*(func.strpos(func.lower(c), func.lower(f.text)) > 0 for c in columns))

    listing, p, o = VenueListingRow, DataProduct, RentalOfferingRow
    kinds: list[Select[Any]] = []
    query: Select[Any]
    if products:
        query = (
            select(
                text("'data_product'"),
                listing.id,
                p.title,
                listing.headline_price,
                listing.listed_at,
            )
            .join(p, p.id == listing.product_id)
            .where(listing.state == "listed", p.state == "listed")
            .where(holds(p.title, p.description, func.array_to_string(p.keywords, " ")))
        )
        if f.domain is not None:
            query = query.where(p.domain == f.domain.value)
        if f.venue is not None:
            query = query.where(listing.venue_code == f.venue)
        if f.min_price is not None:
            query = query.where(listing.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(listing.headline_price <= f.max_price)
        kinds.append(query)
    if offerings:
        query = select(
            text("'rental_offering'"), o.id, o.title, o.headline_price, o.published_at
        ).where(o.state == "published", holds(o.title, o.location, o.category))
        if f.category is not None:
            query = query.where(o.category == f.category.value)
        if f.min_price is not None:
            query = query.where(o.headline_price >= f.min_price)
        if f.max_price is not None:
            query = query.where(o.headline_price <= f.max_price)
        kinds.append(query)
    return kinds


TERMS = (
    "数据", "weather", "WEATHER", "volume",  # a third of the products, or all of them
    NEEDLE, "荷", "k7",  # 1 %, 1 % as one character, 2 % (a keyword)
    "第707号", "grid 1234", "helper 77",  # one product or offering, a handful
    *OLD_TERMS,  # hundreds, all old
    "巡检", "Humanoid", "兰州", "drone",  # offerings: half, half, all, a quarter
    OFFERING_TERM, OLD_OFFERING_TERM,  # offerings: one in twenty, the oldest hundred
    "第777号", "无此词", "zzqx", "%", "_", "a_b",  # nothing (and LIKE's wildcards taken literally)
)  # fmt: skip

FILTERS = (
    SearchFilter(venue="SZDE", min_price=Decimal("1000")),
    SearchFilter(domain=DataDomain.TRANSPORTATION, max_price=Decimal("3000")),
    SearchFilter(kind=ListingKind.RENTAL_OFFERING, category=RobotCategory.HUMANOID),
)
FILTERED_TERMS = (
    "数据", "weather", NEEDLE, "k7", "旧档案", "第707号", "helper 77", "Humanoid", OFFERING_TERM,
)  # fmt: skip


async def search(
    session: AsyncSession,
    f: SearchFilter,
    after: Cursor | None,
    limit: int,
    products: bool,
    offerings: bool,
    generic: bool,
) -> list[Hit]:
    """A page as the app gets it (``page``: the statement's generic plan), or, for custom
    plans, the same statement executed without ``page``'s ``plan_cache_mode`` setting."""
    if generic:
        return await SearchRepository(session).page(
            f, after, limit, products=products, offerings=offerings
        )
    query = SearchRepository.statement(f, after, limit, products=products, offerings=offerings)
    return [Hit(**row) for row in (await session.execute(query)).mappings()]


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
async def test_text_pages_are_those_of_the_definition(volume: AsyncEngine, generic: bool) -> None:
    """Every page the routes serve is the definition's page: first pages, the pages after
    them by cursor, a cursor far down (past the first windows) and one near the end; pages of
    20 and of 100 (whose windows and thresholds differ)."""
    compared = 0
    async with volume.connect() as conn:
        session = AsyncSession(bind=conn)
        if generic:
            await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        sweep = [(term, SearchFilter(), (20, 100)) for term in TERMS]
        sweep += [(term, shape, (20,)) for term in FILTERED_TERMS for shape in FILTERS]
        for term, shape, limits in sweep:
            products = shape.kind is not ListingKind.RENTAL_OFFERING and shape.category is None
            offerings = shape.kind is not ListingKind.DATA_PRODUCT and not (
                shape.domain is not None or shape.venue is not None
            )
            f = SearchFilter(
                shape.kind, shape.domain, shape.venue, shape.category,
                shape.min_price, shape.max_price, term,
            )  # fmt: skip
            every: list[tuple[Any, ...]] = []
            for kind in definition(f, products, offerings):
                every += [tuple(row) for row in await conn.execute(kind)]
            every.sort(key=lambda row: (row[4], row[1]), reverse=True)
            for limit in limits:
                cursors: list[Cursor | None] = [
                    None,
                    Cursor(EPOCH + timedelta(seconds=PRODUCTS // 2), UUID(int=0)),
                    Cursor(EPOCH + timedelta(seconds=700), UUID(int=0)),
                ]
                for after in cursors:
                    for _ in range(2):  # this page and the one after it
                        hits = await search(
                            session, f, after, limit + 1, products, offerings, generic
                        )
                        got = [
                            (h.kind, h.id, h.title, h.headline_price, h.published_at) for h in hits
                        ]
                        want = [
                            row
                            for row in every
                            if after is None
                            or (row[4], row[1]) < (after.published_at, after.item_id)
                        ][: limit + 1]
                        assert got == want, (term, shape, limit, after)
                        compared += 1
                        if len(got) <= limit:
                            break
                        after = Cursor(got[limit - 1][4], got[limit - 1][1])
        if generic:
            await conn.exec_driver_sql("RESET plan_cache_mode")
    assert compared >= len(sweep) * 3


async def test_recency_bucket_migration_on_a_populated_catalog() -> None:
    """Migration 0008 replaces the n-gram GIN indexes on a catalog that already holds
    listings and offerings, the search serves the same pages through them, and it goes back
    to 0007's indexes on the way down."""
    before = "0007_catalog_listing_grams"
    indexes = text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'catalog' AND indexname LIKE '%grams'"
    )
    async with scratch_database(["catalog"], revision=before) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await add_catalog_volume(conn, 1, 3000, EPOCH)
            await alembic(url, "catalog", "upgrade", "head")
            async with engine.connect() as conn:
                assert set((await conn.execute(indexes)).scalars()) == {
                    "ix_data_products_listed_grams",
                    "ix_venue_listings_recent_grams",
                    "ix_rental_offerings_recent_grams",
                }
                for term, kinds in ((NEEDLE, (True, False)), ("Humanoid helper 1", (False, True))):
                    f = SearchFilter(text=term)
                    every: list[tuple[Any, ...]] = []
                    for kind in definition(f, *kinds):
                        every += [tuple(row) for row in await conn.execute(kind)]
                    every.sort(key=lambda row: (row[4], row[1]), reverse=True)
                    query = SearchRepository.statement(
                        f, None, 21, products=kinds[0], offerings=kinds[1]
                    )
                    hits = [Hit(**row) for row in (await conn.execute(query)).mappings()]
                    got = [(h.kind, h.id, h.title, h.headline_price, h.published_at) for h in hits]
                    assert got == every[:21], term
                    assert len(got) == 21, term  # more than a page of each
            await alembic(url, "catalog", "downgrade", before)
            async with engine.connect() as conn:
                assert set((await conn.execute(indexes)).scalars()) == {
                    "ix_data_products_listed_grams",
                    "ix_venue_listings_listed_grams",
                    "ix_rental_offerings_published_grams",
                }
        finally:
            await engine.dispose()
