"""All SQL of the search over what is on offer (venue listings and rental offerings).

One statement per page: each kind's newest rows after the cursor (a backward walk of a partial
index on its listed rows, ``(listed_at, id)`` or ``(published_at, id)``, led by the venue or
category when one is asked for), merged and cut to the page.

Text (``text=``) matches through the n-gram GIN indexes (``catalog.search_grams``, migration
0003), always rechecked with the ILIKE that defines a match, so the indexes change the cost and
never the results. Neither ordering every match by recency (a term in 1 % of the catalog
matches 1,000 products at 100,000) nor walking the rows in recency order and checking each (a
rare term would read every row) keeps the cost bounded, so each kind's page (venue listings
and rental offerings alike) is one statement of routes, each run only when the ones before
did not settle the page:

1. *newest*: the newest ``NEWEST_PAGES`` pages' worth of rows after the cursor, each checked
   in place (grams and ILIKE); a full page found there is the page -- every match outside that
   window is older. Settles common terms (one row in eight or more) without touching GIN.
2. *recent*: one GIN lookup of the rows' n-grams and recency bucket (migration 0008,
   ``btree_gin``; for listings, a copy of their product's n-grams, 0007) bounded to a window
   of the newest rows after the cursor (its oldest row found by an index-only walk), the
   exact bound and the ILIKE rechecked on the few rows found. A page found in a window is
   the page, every match outside it being older. The windows (``RECENT_WINDOWS``) start at
   the first expected to hold a page at the density the newest rows showed
   (``_Routes.reaches``: 2,048 rows for two matches in 168), and widen
   until one holds a page or reaches the oldest row. The first runs straight away when the
   newest rows held a match; the others only when the matching set is many:
3. the *matching* set from GIN, capped at one more than the probe takes, decides: at most
   ``FEW_MATCHES_PAGES`` pages of matches are *probed* (each joined to its row, the few
   sorted: rare terms); more go on through the wider windows, and past the last, every match.

So a term in 1 % of the rows reads 168 rows in place, a 2,048-row index walk and the ~24
matches in that window at 10,000 products as at 1,000,000, and at 1,000 products the whole
small catalog (850 rows) and its 10 matches the same way. A route that does not run costs
nothing (each is gated by a one-time filter on counts computed before it, one-row CTEs). The
windows are row counts written into the SQL, so every walk is bounded by a constant
(``tests/integration/catalog/test_catalog_search_plans.py``). What still grows: the last
route (every match) when fewer than a page of matches lie in the newest 65,536 rows after
the cursor, and the GIN candidates a multi-bigram query rechecks (docs/performance.md).

Each statement is built once per shape (kinds, filters, page size) and run with its values
as bind parameters; constants are written into its text.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Numeric,
    Select,
    SQLColumnExpression,
    String,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from datapark_catalog.fleet.models import RentalOfferingRow
from datapark_catalog.listings.search import Cursor, SearchFilter
from datapark_catalog.products.models import DataProduct, VenueListingRow

NEWEST_PAGES = 8
"""Route 1 checks this many pages' worth of the newest rows in place (168 rows for a page of
20; each row costs a primary-key lookup of its product)."""

FEW_MATCHES_PAGES = 4
"""A matching set of at most this many pages is ordered by probing each match."""

RECENT_WINDOWS = (1024, 2048, 4096, 16384, 65536)
"""The windows of newest rows whose matches one GIN lookup of (n-grams, recency bucket)
finds, tried in turn from the first expected to hold a page until one holds a page (the
first steps are fine, so that the first window tried tracks the density the newest rows
showed: 2,048 rows for 2 matches in 168, 4,096 for one or none)."""


_TEXT_PLANNING = text(
    "SELECT set_config('plan_cache_mode', 'force_generic_plan', true),"
    " set_config('jit', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true)"
)
"""How a text page's statement is planned, for its transaction only (one round trip). Its
generic plan: planning it for each request's values costs more than running it (about 10 ms
against 2 ms at 100,000 products, 30 November). No JIT and no parallel workers: the planner
prices every route as if it ran, and at 1,000,000 products the windows' estimates passed
``jit_above_cost`` (40-70 ms of compiling for a page that runs in under 1 ms) and chose
parallel scans whose workers were started before the route's gate was read (about 5 ms a
window)."""


@dataclass(frozen=True)
class Hit:
    kind: str
    id: uuid.UUID
    product_id: uuid.UUID | None
    offering_id: uuid.UUID | None
    owner_participant_id: uuid.UUID
    title: str
    domain: str | None
    category: str | None
    venue_code: str | None
    reference: str | None
    price_kind: str
    headline_price: Decimal | None
    published_at: datetime


def _inline(value: str) -> ColumnElement[str]:
    """A constant written into the SQL text, never a parameter: the planner must see
    ``state = 'listed'`` to use the partial indexes, in a generic plan of a prepared
    statement too (with ``state = $1`` it falls back to scanning and sorting every row).
    Only our own constants (no quotes in them) come here."""
    assert "'" not in value
    return literal_column(f"'{value}'", String())


def _limit(limit: int) -> ColumnElement[int]:
    """A row count written into the SQL text, so no generic plan guesses it."""
    return literal_column(str(int(limit)), Integer())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@cache
def _query_grams_cte() -> CTE:
    return select(
        func.catalog.search_query_grams(bindparam("text", type_=String())).label("grams")
    ).cte("query_grams")


def _query_grams() -> ColumnElement[list[str]]:
    """The query's n-grams, computed once per statement (a one-row CTE read by InitPlans).
    Called inline, a generic plan would run the SQL function on every row a walk checks."""
    return select(_query_grams_cte().c.grams).scalar_subquery()


def _pattern() -> ColumnElement[str]:
    return bindparam("pattern", type_=String())


def _grams_match(
    grams: SQLColumnExpression[list[str]], query: ColumnElement[list[str]]
) -> ColumnElement[bool]:
    """The document holds every n-gram of the query (served by a GIN index; necessary, not
    sufficient: the ILIKE recheck decides)."""
    return grams.op("@>")(query)


def _after(at: Any, row_id: Any) -> ColumnElement[bool]:
    """Strictly after the cursor (bound as ``after_at``, ``after_id``) in the page order."""
    cursor = tuple_(
        bindparam("after_at", type_=DateTime(timezone=True)),
        bindparam("after_id", type_=UUID(as_uuid=True)),
    )
    return tuple_(at, row_id) < cursor


def _no_uuid() -> ColumnElement[uuid.UUID]:
    return null().cast(UUID(as_uuid=True))


def _no_text() -> ColumnElement[str]:
    return null().cast(String())


def _count(cte: CTE) -> ColumnElement[int]:
    return select(func.count()).select_from(cte).scalar_subquery()


def _product_hit(listing: Any, product: Any) -> list[ColumnElement[Any]]:
    """A listed product on a venue as a search hit; ``listing`` and ``product`` are column
    collections (of the tables, or of a window and a lateral subquery)."""
    return [
        literal("data_product").label("kind"),
        listing.id.label("id"),
        product.id.label("product_id"),
        _no_uuid().label("offering_id"),
        product.owner_participant_id.label("owner_participant_id"),
        product.title.label("title"),
        product.domain.label("domain"),
        _no_text().label("category"),
        listing.venue_code.label("venue_code"),
        listing.reference.label("reference"),
        listing.price_kind.label("price_kind"),
        listing.headline_price.label("headline_price"),
        listing.listed_at.label("published_at"),
    ]


def _offering_hit(o: Any) -> list[ColumnElement[Any]]:
    """A published rental offering as a search hit (``o``: a column collection)."""
    return [
        literal("rental_offering").label("kind"),
        o.id.label("id"),
        _no_uuid().label("product_id"),
        o.id.label("offering_id"),
        o.lessor_participant_id.label("owner_participant_id"),
        o.title.label("title"),
        _no_text().label("domain"),
        o.category.label("category"),
        _no_text().label("venue_code"),
        _no_text().label("reference"),
        literal("rate_card").label("price_kind"),
        o.headline_price.label("headline_price"),
        o.published_at.label("published_at"),
    ]


@cache
def _listed_products() -> Select[tuple[object, ...]]:
    """Listed products on their venues, newest first, as search hits (built once: statements
    are immutable, each page adds its filters to a copy)."""
    listing, product = VenueListingRow, DataProduct
    return (
        select(*_product_hit(listing, product))
        .join(product, product.id == listing.product_id)
        .where(product.state == _inline("listed"), listing.state == _inline("listed"))
        .order_by(listing.listed_at.desc(), listing.id.desc())
    )


@cache
def _published_offerings() -> Select[tuple[object, ...]]:
    """Published rental offerings, newest first, as search hits (built once)."""
    o = RentalOfferingRow
    return (
        select(*_offering_hit(o))
        .where(o.state == _inline("published"))
        .order_by(o.published_at.desc(), o.id.desc())
    )


@dataclass(frozen=True)
class _Shape:
    """What a page's statement depends on besides the values it binds: which kinds and
    filters, and the row count. One statement is built per shape and reused (building and
    compiling the text routes costs milliseconds of Python; executing them, a fraction)."""

    products: bool
    offerings: bool
    text: bool
    domain: bool
    venue: bool
    category: bool
    min_price: bool
    max_price: bool
    after: bool
    limit: int

    @classmethod
    def of(
        cls, f: SearchFilter, after: Cursor | None, limit: int, products: bool, offerings: bool
    ) -> tuple[_Shape, dict[str, Any]]:
        """The shape of a page and the values its statement binds."""
        values: dict[str, Any] = {
            "text": f.text or None,
            "pattern": _like(f.text) if f.text else None,
            "domain": f.domain.value if f.domain is not None else None,
            "venue": f.venue,
            "category": f.category.value if f.category is not None else None,
            "min_price": f.min_price,
            "max_price": f.max_price,
            "after_at": after.published_at if after is not None else None,
            "after_id": after.item_id if after is not None else None,
        }
        shape = cls(
            products=products,
            offerings=offerings,
            text=bool(f.text),
            domain=f.domain is not None,
            venue=f.venue is not None,
            category=f.category is not None,
            min_price=f.min_price is not None,
            max_price=f.max_price is not None,
            after=after is not None,
            limit=limit,
        )
        return shape, {name: value for name, value in values.items() if value is not None}


def _price(price: Any, shape: _Shape) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if shape.min_price:
        found.append(price >= bindparam("min_price", type_=Numeric(18, 2)))
    if shape.max_price:
        found.append(price <= bindparam("max_price", type_=Numeric(18, 2)))
    return found


def _is(column: Any, name: str) -> ColumnElement[bool]:
    return column == bindparam(name, type_=String())  # type: ignore[no-any-return]


class _Routes:
    """One kind's text page as its routes (module docstring), each a select of keys (``id``,
    ``at``) newest first and cut to the page, and the row counts that decide which of them run
    (each count a one-row CTE: computed once, when a gate first asks for it)."""

    def __init__(self, kind: str, newest: CTE, matching: CTE, limit: int) -> None:
        self.kind, self.newest, self.matching, self.limit = kind, newest, matching, limit
        self._tallies: dict[str, CTE] = {}

    def counted(self, cte: CTE) -> ColumnElement[int]:
        if cte.name not in self._tallies:
            rows = select(func.count().label("rows")).select_from(cte)
            self._tallies[cte.name] = rows.cte(f"{cte.name}_rows")
        return select(self._tallies[cte.name].c.rows).scalar_subquery()

    @property
    def few(self) -> int:
        return FEW_MATCHES_PAGES * self.limit

    def short(self) -> ColumnElement[bool]:
        """The newest route found less than a page: route 2 runs."""
        return self.counted(self.newest) < _limit(self.limit)

    def many(self) -> ColumnElement[bool]:
        return self.counted(self.matching) > _limit(self.few)

    def reaches(self, rows: int) -> ColumnElement[bool]:
        """A window of ``rows`` rows is expected to hold a page, going by the matches among
        the newest rows (at the same density; none found counts as one). The widest window
        always may: past it, every match is read."""
        need = math.ceil(self.limit * NEWEST_PAGES * self.limit / rows)
        if need <= 1 or rows >= RECENT_WINDOWS[-1]:
            return true()
        return self.counted(self.newest) >= _limit(need)

    def pages(
        self,
        since: Callable[[int, str], CTE],
        found: Callable[[str, ColumnElement[bool], CTE | None], CTE],
        probe: Callable[[ColumnElement[bool]], Select[Any]],
    ) -> list[Select[Any]]:
        """The routes as selects of keys, exactly one of which yields rows (the page).

        After the *newest* rows, the *recent* windows of the newest rows after the cursor,
        each four times the one before, from the first one expected to hold a page
        (``reaches``), until one holds a page or reaches the oldest row. The first window
        runs straight away when the newest rows held a match (the term is common enough to
        fill it); any other only when the matching set is *many*. When it is few (at most
        ``FEW_MATCHES_PAGES`` pages) and no window settled the page, the *probe* does; when
        many and no window did, every match (the last window, unbounded).

        ``since(rows, name)``: the row ``rows`` deep after the cursor (none when there are
        fewer); ``found(name, run, since)``: the newest matches no older than ``since``'s row
        (all without it) when ``run`` says so; ``probe(run)``: the few matches, ordered. Each
        window's ``run``, and whether the page is still ``pending`` after it, are one-row
        CTEs; a window's count and bound are read only when it ran (CASE)."""
        prefix = self.kind[0]
        one = self.counted(self.newest) >= _limit(1)
        pending = select(self.short().label("go")).cte(f"{prefix}w_go")
        ran_before: ColumnElement[bool] = false()
        pages: list[Select[Any]] = [select(self.newest).where(~self.short())]
        for step, rows in enumerate(RECENT_WINDOWS):
            go = select(pending.c.go).scalar_subquery()
            allowed = case((~ran_before & one, true()), else_=self.many())
            run = select((go & self.reaches(rows) & allowed).label("go")).cte(
                f"{prefix}w{step}_run"
            )
            ran = select(run.c.go).scalar_subquery()
            bound = since(rows, f"{prefix}w{step}_from")
            window = found(f"{prefix}w{step}", ran, bound)
            still = (self.counted(window) < _limit(self.limit)) & select(bound).exists()
            pending = select(case((ran, still), else_=go).label("go")).cte(
                f"{prefix}w{step + 1}_go"
            )
            pages.append(select(window).where(~select(pending.c.go).scalar_subquery()))
            ran_before = ran_before | ran
        left = select(pending.c.go).scalar_subquery()
        pages.append(probe(left & ~self.many()))
        pages.append(select(found(f"{prefix}w_all", left & self.many(), None)))
        return pages


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        f: SearchFilter,
        after: Cursor | None,
        limit: int,
        *,
        products: bool,
        offerings: bool,
    ) -> list[Hit]:
        """Up to ``limit`` items of the asked kinds, newest first, strictly after ``after``."""
        if not (products or offerings):
            return []
        shape, values = _Shape.of(f, after, limit, products, offerings)
        if shape.text:
            await self.session.execute(_TEXT_PLANNING)
        rows = await self.session.execute(_statement(shape), values)
        return [Hit(**row) for row in rows.mappings()]

    @classmethod
    def statement(
        cls,
        f: SearchFilter,
        after: Cursor | None,
        limit: int,
        *,
        products: bool,
        offerings: bool,
    ) -> Select[tuple[object, ...]]:
        """The one statement of a page with its values bound (public so its plan can be
        examined; ``page`` runs the same statement, built once per shape)."""
        shape, values = _Shape.of(f, after, limit, products, offerings)
        return _statement(shape).params(values)


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select[tuple[object, ...]]:
    """A page's statement, its values left as bind parameters (built once per shape)."""
    parts = []
    if shape.products:
        parts.append(_products_by_text(shape) if shape.text else _products(shape))
    if shape.offerings:
        parts.append(_offerings_by_text(shape) if shape.text else _offerings(shape))
    if len(parts) == 1:
        return parts[0]
    both = union_all(*parts).subquery("hits")
    return (
        select(both)
        .order_by(both.c.published_at.desc(), both.c.id.desc())
        .limit(_limit(shape.limit))
    )


def _products(shape: _Shape) -> Select[tuple[object, ...]]:
    """Listed products newest first, as an index walk (no text)."""
    listing, product = VenueListingRow, DataProduct
    query = _listed_products().limit(_limit(shape.limit))
    if shape.domain:
        query = query.where(_is(product.domain, "domain"))
    if shape.venue:
        query = query.where(_is(listing.venue_code, "venue"))
    query = query.where(*_price(listing.headline_price, shape))
    if shape.after:
        query = query.where(_after(listing.listed_at, listing.id))
    return query


def _offerings(shape: _Shape) -> Select[tuple[object, ...]]:
    """Published offerings newest first, as an index walk (no text)."""
    o = RentalOfferingRow
    query = _published_offerings().limit(_limit(shape.limit))
    if shape.category:
        query = query.where(_is(o.category, "category"))
    query = query.where(*_price(o.headline_price, shape))
    if shape.after:
        query = query.where(_after(o.published_at, o.id))
    return query


def _bucket(at: Any) -> ColumnElement[int]:
    """The recency bucket the n-gram GIN indexes carry beside the n-grams (migration 0008)."""
    return func.catalog.recency_bucket(at)


def _recent_bounds(at: Any, since: CTE | None, shape: _Shape) -> list[ColumnElement[bool]]:
    """A window's bounds on a row's time ``at``: no older than ``since``'s row, and not after
    the cursor; each as the GIN index's bucket (which bounds the index lookup) and exactly."""
    found: list[ColumnElement[bool]] = []
    if since is not None:
        # No row that deep: the window holds every row (after the cursor).
        oldest = select(since.c.at).scalar_subquery()
        first = literal_column("(-4611686018427387904)::bigint", BigInteger())
        since_start = literal_column("'-infinity'::timestamptz", DateTime(timezone=True))
        found += [
            _bucket(at) >= func.coalesce(_bucket(oldest), first),
            at >= func.coalesce(oldest, since_start),
        ]
    if shape.after:
        newest = bindparam("after_at", type_=DateTime(timezone=True))
        found += [_bucket(at) <= _bucket(newest), at <= newest]
    return found


def _products_by_text(shape: _Shape) -> Select[tuple[object, ...]]:
    """Listed products about the text, newest first: the routes of the module docstring, each
    yielding listing keys (id, listed_at); the page's hits are read for those keys only."""
    listing, product = VenueListingRow, DataProduct
    limit, grams, pattern = shape.limit, _query_grams(), _pattern()

    def described(p: Any, *, indexed: bool = True) -> list[ColumnElement[bool]]:
        """The product's half of a match: listed, in the domain, about the text (its n-grams
        too when ``indexed``: the GIN index on products can serve them)."""
        found = [
            p.state == _inline("listed"),
            or_(
                p.title.ilike(pattern),
                p.description.ilike(pattern),
                func.array_to_string(p.keywords, " ").ilike(pattern),
            ),
        ]
        if indexed:
            found.append(_grams_match(p.search_grams, grams))
        if shape.domain:
            found.append(_is(p.domain, "domain"))
        return found

    def placed(v: Any = listing) -> list[ColumnElement[bool]]:
        """The listing's index-served half: listed, on the venue, after the cursor."""
        found = [v.state == _inline("listed")]
        if shape.venue:
            found.append(_is(v.venue_code, "venue"))
        if shape.after:
            found.append(_after(v.listed_at, v.id))
        return found

    def walk(*columns: Any, v: Any = listing) -> Select[tuple[object, ...]]:
        """Listed listings after the cursor (on the venue), newest first: an index walk."""
        return select(*columns).where(*placed(v)).order_by(v.listed_at.desc(), v.id.desc())

    newest = (
        walk(listing.id, listing.product_id, listing.headline_price, listing.listed_at)
        .limit(_limit(NEWEST_PAGES * limit))
        .subquery("products_newest_rows")
    )
    # The row's product, checked by primary key once the walk reaches the row (OFFSET 0
    # keeps it a per-row lookup under the walk's order and limit).
    checked = (
        select(product.id)
        .where(product.id == newest.c.product_id, *described(product))
        .offset(_limit(0))
        .lateral("products_newest_checked")
    )
    routes = _Routes(
        "products",
        newest=select(newest.c.id, newest.c.listed_at.label("at"))
        .join_from(newest, checked, true())
        .where(*_price(newest.c.headline_price, shape))
        .order_by(newest.c.listed_at.desc(), newest.c.id.desc())
        .limit(_limit(limit))
        .cte("products_newest"),
        # Capped: deciding "few or many" reads at most one match more than the probe takes.
        matching=select(product.id)
        .where(*described(product))
        .limit(_limit(FEW_MATCHES_PAGES * limit + 1))
        .cte("products_matching"),
        limit=limit,
    )

    def probe(run: ColumnElement[bool]) -> Select[Any]:
        """The few matches' listings, ordered (each match's listings by product id)."""
        return (
            select(listing.id, listing.listed_at.label("at"))
            .where(
                listing.product_id.in_(select(routes.matching.c.id)),
                run,
                *placed(),
                *_price(listing.headline_price, shape),
            )
            .order_by(listing.listed_at.desc(), listing.id.desc())
            .limit(_limit(limit))
        )

    # Short aliases: the windows repeat these columns many times over.
    v, p = aliased(VenueListingRow, name="v"), aliased(DataProduct, name="p")

    def since(rows: int, name: str) -> CTE:
        return (
            walk(v.listed_at.label("at"), v=v).offset(_limit(rows - 1)).limit(_limit(1)).cte(name)
        )

    def found(name: str, run: ColumnElement[bool], since: CTE | None) -> CTE:
        """One GIN lookup of the listings' n-grams and recency bucket (migration 0008), each
        candidate's product checked by primary key."""
        return (
            select(v.id, v.listed_at.label("at"))
            .join(p, p.id == v.product_id)
            .where(
                run,
                _grams_match(v.search_grams, grams),
                *_recent_bounds(v.listed_at, since, shape),
                *placed(v),
                *_price(v.headline_price, shape),
                *described(p, indexed=False),
            )
            .order_by(v.listed_at.desc(), v.id.desc())
            .limit(_limit(limit))
            .cte(name)
        )

    page = union_all(*routes.pages(since, found, probe)).subquery("products_page")
    return (
        select(*_product_hit(listing, product))
        .select_from(page)
        .join(listing, listing.id == page.c.id)
        .join(product, product.id == listing.product_id)
        .order_by(page.c.at.desc(), page.c.id.desc())
        .limit(_limit(limit))
    )


def _offerings_by_text(shape: _Shape) -> Select[tuple[object, ...]]:
    """Published offerings about the text, newest first: the same routes as products (module
    docstring), each yielding offering keys (id, published_at); the hits are read for those
    keys only."""
    o = aliased(RentalOfferingRow, name="o")
    limit, grams, pattern = shape.limit, _query_grams(), _pattern()

    def about(x: Any, *, indexed: bool = True) -> list[ColumnElement[bool]]:
        found = [or_(x.title.ilike(pattern), x.location.ilike(pattern), x.category.ilike(pattern))]
        if indexed:
            found.append(_grams_match(x.search_grams, grams))
        return found

    def placed() -> list[ColumnElement[bool]]:
        """Published, in the category, after the cursor (what the indexes serve)."""
        found = [o.state == _inline("published")]
        if shape.category:
            found.append(_is(o.category, "category"))
        if shape.after:
            found.append(_after(o.published_at, o.id))
        return found

    def walk(*columns: Any) -> Select[tuple[object, ...]]:
        return select(*columns).where(*placed()).order_by(o.published_at.desc(), o.id.desc())

    def keys(*conditions: ColumnElement[bool]) -> Select[Any]:
        return (
            select(o.id, o.published_at.label("at"))
            .where(*conditions, *placed(), *_price(o.headline_price, shape))
            .order_by(o.published_at.desc(), o.id.desc())
            .limit(_limit(limit))
        )

    # The newest rows, each checked in place (the walk reads the row).
    n = (
        walk(
            o.id, o.headline_price, o.published_at, o.title, o.location, o.category, o.search_grams
        )
        .limit(_limit(NEWEST_PAGES * limit))
        .subquery("offerings_newest_rows")
    )
    routes = _Routes(
        "offerings",
        newest=select(n.c.id, n.c.published_at.label("at"))
        .where(*about(n.c), *_price(n.c.headline_price, shape))
        .order_by(n.c.published_at.desc(), n.c.id.desc())
        .limit(_limit(limit))
        .cte("offerings_newest"),
        matching=select(o.id)
        .where(o.state == _inline("published"), *about(o))
        .limit(_limit(FEW_MATCHES_PAGES * limit + 1))
        .cte("offerings_matching"),
        limit=limit,
    )

    def probe(run: ColumnElement[bool]) -> Select[Any]:
        return keys(o.id.in_(select(routes.matching.c.id)), run)

    def since(rows: int, name: str) -> CTE:
        return walk(o.published_at.label("at")).offset(_limit(rows - 1)).limit(_limit(1)).cte(name)

    def found(name: str, run: ColumnElement[bool], since: CTE | None) -> CTE:
        """One GIN lookup of the offerings' n-grams and recency bucket (migration 0008)."""
        window = _recent_bounds(o.published_at, since, shape)
        return keys(run, *about(o), *window).cte(name)

    page = union_all(*routes.pages(since, found, probe)).subquery("offerings_page")
    return (
        select(*_offering_hit(o))
        .select_from(page)
        .join(o, o.id == page.c.id)
        .order_by(page.c.at.desc(), page.c.id.desc())
        .limit(_limit(limit))
    )
