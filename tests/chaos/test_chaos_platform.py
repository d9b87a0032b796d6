"""The 60-second chaos profile (``make test``; ``make chaos`` runs the 5-minute one): the
platform on a stack of its own under a mixed load while Kafka, Postgres, a service process,
the relay leader and a consumer fail and malformed records arrive; then every check of
``chaos_check`` must hold. Select it with ``-m chaos``; ``DATAPARK_CHAOS_SKIP=1`` skips it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chaos.chaos_run import PROFILES, Chaos

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.timeout(600),
    # a whole platform under scheduled faults on a shared 2-core machine: a run that fails
    # is run once more from a fresh stack; failing twice fails make test (pytest reports
    # the rerun, so a first failure is never silent)
    pytest.mark.flaky(reruns=1),
    pytest.mark.skipif(os.environ.get("DATAPARK_CHAOS_SKIP") == "1", reason="DATAPARK_CHAOS_SKIP"),
]


def test_the_platform_keeps_every_guarantee_under_faults(tmp_path: Path) -> None:
    chaos = Chaos(PROFILES["60s"], tmp_path)
    status = chaos.run()
    report = chaos.last_report
    struck = {w["window"] for w in report["windows"]}
    assert {
        "kafka_kill9",
        "postgres_fast_shutdown",
        "service_kill9",
        "relay_leader_kill9",
        "consumer_stall",
        "malformed_burst",
    } <= struck
    # the faults struck while users were working, and the users got their work done
    assert report["totals"]["logical_writes"] > 0
    assert sum(report["journeys"].values()) > 0
    failed = {name: check for name, check in report["checks"].items() if not check["ok"]}
    assert failed == {}
    assert status == 0
    print(
        f"\nchaos 60s: {report['totals']['attempts']} requests "
        f"{report['totals']['statuses']}, journeys {report['journeys']}, "
        f"setup {report['timings']['setup_seconds']}s, total {report['timings']['total_seconds']}s"
    )
