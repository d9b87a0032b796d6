"""Catalog search volume: listed data products with their venue listings, and published rental
offerings, generated directly in SQL (thousands of rows a second) for the EXPLAIN test and for
``bench/scaling.py``. Titles mix Chinese and Latin; one product in ``NEEDLE_EVERY`` is about
电力负荷 ("power load"), so a text search for 负荷 matches a fixed share of the catalog; one
offering in ``NEEDLE_EVERY`` likewise holds 消防 ("fire-fighting")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

NEEDLE_EVERY = 100
NEEDLE = "负荷"
OFFERING_NEEDLE = "消防"
"""One offering in ``NEEDLE_EVERY`` is a fire-fighting (消防) inspection robot."""

PRODUCTS = text(
    """
    INSERT INTO catalog.data_products (
        id, owner_participant_id, title, description, keywords, domain, product_form,
        classification, personal_information, legal_basis, provenance, provenance_detail,
        update_frequency, format, license, contact, state, version, created_at, updated_at)
    SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
           ('00000000-0000-7000-9000-' || lpad(to_hex(g % 997), 12, '0'))::uuid,
           CASE WHEN g % CAST(:every AS integer) = 7 THEN '电力负荷曲线 第' || g || '号'
                WHEN g % 3 = 0 THEN '城市交通流量 ' || g
                WHEN g % 3 = 1 THEN 'Regional weather grid ' || g
                ELSE '工业设备运行数据 batch ' || g END,
           'Generated for the search volume, row ' || g,
           ARRAY['volume', 'k' || (g % 50)],
           (ARRAY['industrial_manufacturing', 'modern_agriculture', 'commerce_and_trade',
                  'transportation', 'financial_services', 'science_and_technology',
                  'culture_and_tourism', 'healthcare', 'emergency_management', 'meteorology',
                  'urban_governance', 'green_and_low_carbon'])[1 + g % 12],
           'dataset', 'general', false, NULL, 'self_collected', 'generated',
           'daily', 'csv', 'CC-BY-4.0', 'bench@example.cn',
           CASE WHEN g % 10 = 0 THEN 'registered' ELSE 'listed' END,
           1, t0 + make_interval(secs => g), t0 + make_interval(secs => g)
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g,
         CAST(:epoch AS timestamptz) AS t0
    """
)

LISTINGS = text(
    """
    INSERT INTO catalog.venue_listings (
        id, product_id, venue_code, reference, state, price_kind, price_terms,
        headline_price, listed_at, updated_at)
    SELECT ('00000000-0000-7000-a000-' || lpad(to_hex(g), 12, '0'))::uuid,
           ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
           (ARRAY['BJIDE', 'SZDE', 'GSDE'])[1 + g % 3],
           'VOL-' || g,
           CASE WHEN g % 20 = 1 THEN 'suspended' ELSE 'listed' END,
           'fixed',
           jsonb_build_object('kind', 'fixed', 'price',
                              jsonb_build_object('amount', (g % 5000) || '.00', 'currency', 'CNY')),
           (g % 5000)::numeric(18, 2),
           t0 + make_interval(secs => g), t0 + make_interval(secs => g)
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g,
         CAST(:epoch AS timestamptz) AS t0
    WHERE g % 10 <> 0
    """
)

OFFERINGS = text(
    """
    INSERT INTO catalog.rental_offerings (
        id, lessor_participant_id, title, target_kind, unit_id, kit_id, unit_ids, category,
        modes, rate_card, headline_price, deposit, min_duration_seconds, max_duration_seconds,
        turnaround_before_seconds, turnaround_after_seconds, service_terms,
        cancellation_policy, late_fee_per_hour, available_from, available_until, location,
        state, published_at, updated_at)
    SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(g), 12, '0'))::uuid,
           ('00000000-0000-7000-9000-' || lpad(to_hex(g % 997), 12, '0'))::uuid,
           CASE WHEN g % CAST(:every AS integer) = 7 THEN '消防巡检机器人 ' || g
                WHEN g % 2 = 0 THEN '巡检机器人 ' || g ELSE 'Humanoid helper ' || g END,
           'unit', ('00000000-0000-7000-c000-' || lpad(to_hex(g), 12, '0'))::uuid, NULL,
           ARRAY[('00000000-0000-7000-c000-' || lpad(to_hex(g), 12, '0'))::uuid],
           (ARRAY['humanoid', 'amr', 'industrial_arm', 'inspection_drone'])[1 + g % 4],
           ARRAY['short_term'],
           jsonb_build_object('day', jsonb_build_object('amount', (100 + g % 1000) || '.00',
                                                        'currency', 'CNY')),
           100 + g % 1000, 0, 3600, NULL, 0, 0, NULL, '[]'::jsonb, NULL,
           t0, NULL, '兰州新区', 'published',
           t0 + make_interval(secs => 10 * g + 5), t0 + make_interval(secs => 10 * g + 5)
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g,
         CAST(:epoch AS timestamptz) AS t0
    """
)


async def add_catalog_volume(conn: AsyncConnection, first: int, last: int, epoch: datetime) -> None:
    """Products ``first``..``last`` (nine in ten listed on one venue, one in twenty of those
    suspended) and one published rental offering per ten products."""
    window = {"first": first, "last": last, "epoch": epoch}
    await conn.execute(PRODUCTS, window | {"every": NEEDLE_EVERY})
    await conn.execute(LISTINGS, window)
    offerings = {
        "first": (first + 9) // 10,
        "last": last // 10,
        "epoch": epoch,
        "every": NEEDLE_EVERY,
    }
    if offerings["first"] <= offerings["last"]:
        await conn.execute(OFFERINGS, offerings)
