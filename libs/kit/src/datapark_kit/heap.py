"""The collector and a service's long-lived heap.

A started service holds hundreds of thousands of objects that live as long as the process: its
modules, the FastAPI app and its routes, pydantic and SQLAlchemy metadata, the pools. CPython's
cyclic collector walks all of them on every full (generation 2) collection, and a full
collection runs on the request or record path whenever enough objects have survived into the
oldest generation. Measured on subsidy under ``bench/lease_claim.py`` (docs/performance.md,
"Where the lease -> subsidy time goes"): one generation-2 collection of about 108 ms per run of
40 leases, which was that run's p99.

:func:`freeze` moves everything alive once startup is complete into the collector's permanent
generation (``gc.freeze()``, the idiom CPython documents for long-running servers), so later
collections walk only what was allocated since; garbage made during startup is collected first,
so none of it is kept for ever. :func:`thaw` hands the frozen objects back to the collector when
the app stops (a process that builds apps one after another, as the test suites do, keeps no
stopped app alive). The collection thresholds are CPython's defaults.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("datapark.heap")


def freeze() -> int:
    """Collect startup's garbage, then freeze what is alive; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("startup heap frozen: %d objects out of the collector's generations", frozen)
    return frozen


def thaw() -> None:
    """Give the frozen objects back to the collector (their next full collection decides)."""
    gc.unfreeze()
