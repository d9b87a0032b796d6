"""The search's cost does not grow with the catalog: on 20,000 generated products in a scratch
database, EXPLAIN shows the first page and a deep cursor page walking the partial keyset
indexes (no sort of every listed row, no sequential scan), and a text query -- two Chinese
characters, which pg_trgm could not index -- narrowing through the n-gram GIN indexes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from integration.catalog.catalog_search_volume import NEEDLE, NEEDLE_EVERY, add_catalog_volume
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from support.scratch_database import scratch_database

from datapark_catalog.listings.repository import SearchRepository
from datapark_catalog.listings.search import Cursor, ListingKind, SearchFilter

pytestmark = pytest.mark.integration

PRODUCTS = 20_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def volume() -> AsyncIterator[AsyncEngine]:
    async with scratch_database(["catalog"]) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await add_catalog_volume(conn, 1, PRODUCTS, EPOCH)
            # What autovacuum does after a bulk load: statistics, and GIN's entry counts.
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                for table in ("data_products", "venue_listings", "rental_offerings"):
                    await conn.execute(text(f"VACUUM ANALYZE catalog.{table}"))
            yield engine
        finally:
            await engine.dispose()


async def plan(conn: AsyncConnection, query: Select[Any], *, generic: bool = False) -> str:
    """EXPLAIN ANALYZE of ``query`` as the app runs it; ``generic``: as the generic plan a
    prepared statement switches to after five runs (parameters unknown at planning)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    if not generic:
        rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}", params)
        return "\n".join(str(row[0]) for row in rows)
    values = ", ".join("'" + str(value).replace("'", "''") + "'" for value in params)
    await conn.exec_driver_sql(f"PREPARE search_page AS {compiled}")
    try:
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        execute = f"EXECUTE search_page({values})" if values else "EXECUTE search_page"
        rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {execute}")
        return "\n".join(str(row[0]) for row in rows)
    finally:
        await conn.exec_driver_sql("RESET plan_cache_mode")
        await conn.exec_driver_sql("DEALLOCATE search_page")


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
        assert "Bitmap Index Scan on ix_rental_offerings_published_grams" in shown, shown
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
        assert "Bitmap Index Scan on ix_rental_offerings_published_grams" in shown, shown
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
