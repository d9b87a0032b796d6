"""docs/reliability.md, written from one chaos run's report (``chaos_run --doc``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# What each guarantee rests on (a hand-written table the run appends).
GUARANTEES = (Path(__file__).parent / "reliability_guarantees.md").read_text(encoding="utf-8")
# What the runs found and what held: hand-written, appended last.
FINDINGS = Path(__file__).parent / "reliability_findings.md"


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _count(values: Iterable[Any]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(Counter(values).items())}


def render(report: dict[str, Any]) -> str:
    profile = report["profile"]
    timings = report["timings"]
    totals = report["totals"]
    checks = report["checks"]
    lines = [
        "# Reliability: the platform under load and faults",
        "",
        "Written by `make chaos` (`tests/chaos/chaos_run.py --doc docs/reliability.md`) from the "
        "run below; the 60-second profile of the same run is part of `make test` "
        "(`tests/chaos/test_chaos_platform.py`, marker `chaos`). Edit the two hand-written "
        "sections in `tests/chaos/reliability_guarantees.md` and `reliability_findings.md`.",
        "",
        "## How the run works",
        "",
        "- Its own stack (`deploy/local/stack.sh` with `DATAPARK_LOCAL_DIR=.local/chaos`): "
        "Postgres on 54339, Kafka on 9192 (controller 9193), the four services as separate "
        "processes on 8101-8104 and a second trading worker (`python -m datapark_eventing.worker "
        "trading`) on 8112. The shared development stack is never touched; every process a fault "
        "strikes is found from the run's own process handles or the chaos stack's pid files.",
        "- Load (`tests/chaos/chaos_load.py`): "
        f"{profile['concurrency']} concurrent users over HTTP on 127.0.0.1 running journeys in "
        "turn — two companies, a product reviewed, listed and bought, delivered and confirmed "
        "(order); a negotiation to a finalized agreement; twelve bookings racing for one "
        "robot's slot; financing leases applied for, signed, paid, activated and paid again for "
        "a Beijing and a Xiong'an lessee; four Fujian park applications of 1,400,000 reviewed "
        "together against a designation's 5,000,000 cap. Every write carries an "
        "`Idempotency-Key` and is retried with it after a 503 (honouring `Retry-After`), a "
        "timeout (10 s) or a refused connection. Every attempt is in the ledger "
        "(`ledger.jsonl` of the run).",
        f"- Faults, profile `{profile['name']}` ({profile['duration']:.0f} s of load): "
        f"Kafka `kill -9`, restarted after {profile['kafka_outage']:.0f} s; Postgres fast "
        f"shutdown (`pg_ctl stop -m fast`), started after {profile['pg_outage']:.0f} s; `kill -9` "
        "of the rental process while requests are in flight, restarted; the trading relay "
        "leader (whichever of the API process and the worker holds the advisory lock) killed "
        "with `kill -9` while the other waits, restarted; the trading worker stopped "
        f"(`SIGSTOP`) for {profile['stall']:.0f} s, past the consumers' 10 s session timeout; "
        f"{profile['malformed']} malformed records (random bytes, truncated JSON, an id that is "
        "not a UUID) written to `catalog.participants.v1`.",
        "- Then the load stops, everything drains (outboxes empty, consumer lag zero, all "
        "ready) and the checks run: the whole log read back, the database, "
        "`datapark-audit verify` and `invariants` against the chaos Kafka "
        "(`--exclude-test-injected` leaves out the malformed burst, which is marked so), and the "
        "ledger.",
        "",
        "## The run",
        "",
        f"- setup {timings.get('setup_seconds')} s (stack {timings.get('stack_seconds')} s, "
        f"migrations and topics until {timings.get('migrate_seconds')} s), load "
        f"{timings.get('load_seconds')} s, drain {_fmt(timings.get('drain'))}; total "
        f"{timings.get('total_seconds')} s",
        f"- requests sent (attempts): {totals['attempts']}; logical writes: "
        f"{totals['logical_writes']}; answers: {_fmt(totals['statuses'])}; slowest answer "
        f"{totals['max_latency_s']} s",
        f"- journeys completed: {_fmt(report['journeys'])}; journeys that stopped on an answer "
        f"no retry could change: {report['journey_error_count']}",
        f"- booking races: {len(report['races'])} of 12 racers each; races by number of "
        f"winners: {_fmt(_count(len(r['won']) for r in report['races']))}",
        f"- claim rounds: {len(report['claim_rounds'])} (4 × 1,400,000 against a 5,000,000 "
        "cap); rounds by amount granted: "
        f"{_fmt(_count(r['granted'] for r in report['claim_rounds']))}",
        "",
        "### Per fault",
        "",
        "A window runs from the fault to the next one (requests are counted by when they were "
        "answered, events by their Kafka timestamp). `refused` counts every answer that was not a "
        "2xx: 4xx are the journeys' own refusals (a booking that lost its race is a 409), "
        "`connect_error` a refused connection to a killed process. Recovery times are measured "
        "from the moment the fault was undone (process restarted, broker or database started).",
        "",
        "| window | from–to (s) | sent | succeeded | refused (by status) | events produced | "
        "duplicated on Kafka | dead letters | red while struck | ready again after (s) | "
        "consumer lag zero after (s) | detail |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in report["windows"]:
        lines.append(
            "| "
            + " | ".join(
                [
                    w["window"],
                    f"{w['from_s']}–{w['to_s']}",
                    str(w["sent"]),
                    str(w["succeeded"]),
                    _fmt(w["refused"]),
                    str(w["events_produced"]),
                    str(w["duplicated"]),
                    str(w["dead_letters"]),
                    _fmt(w.get("readiness_red")),
                    _fmt(w.get("ready_again_after_restore_s")),
                    _fmt(w.get("lag_zero_after_restore_s")),
                    _fmt(w.get("detail")).replace("|", "/"),
                ]
            )
            + " |"
        )
    lines += ["", "### Checks", "", "| check | held | figures |", "|---|---|---|"]
    for name, check in checks.items():
        figures = {k: v for k, v in check.items() if k not in ("ok", "output")}
        lines.append(
            f"| `{name}` | {'yes' if check['ok'] else '**NO**'} | "
            f"{_fmt(figures).replace('|', '/')} |"
        )
    lines += ["", GUARANTEES, FINDINGS.read_text(encoding="utf-8")]
    return "\n".join(lines) + "\n"
