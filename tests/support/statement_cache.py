"""Which statements hit SQLAlchemy's compiled cache: the tests of #14's constant statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from datapark_kit.db import Database

HIT, MISS = CacheStats.CACHE_HIT, CacheStats.CACHE_MISS


@contextmanager
def cache_outcomes(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine runs meanwhile, with its compiled cache's outcome."""
    seen: list[tuple[str, Any]] = []

    def before(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _m: bool) -> None:
        seen.append((statement, context.cache_hit))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def assert_compiled_once(seen: list[tuple[str, Any]], fragment: str, runs: int) -> None:
    """The statements containing ``fragment`` ran ``runs`` times, compiled at most once."""
    outcomes = [hit for statement, hit in seen if fragment in statement]
    assert len(outcomes) == runs, (fragment, outcomes)
    # the first run may compile (a miss) or find it compiled by an earlier test; never again
    assert outcomes[0] in (HIT, MISS), (fragment, outcomes[0])
    assert outcomes[1:] == [HIT] * (runs - 1), (fragment, outcomes)
