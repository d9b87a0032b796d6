"""Faults injected into the real local Kafka, on topics made for each test: every one is
reported with its location (topic, partition, offset, event id) and a non-zero exit status.

Per-record faults (a forged payload, a record removed from the middle of a chain, two records
swapped, an unknown type, a payload breaking its schema, one event id with two contents, a
forged checkpoint) and cross-service ones (a claim without a lease, an overspent budget) share
one scratch log; the faults only checkpoints can see (a truncated tail, a reordered partition,
a deleted aggregate) come from rewriting a scratch topic after its relay checkpoint.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from support.audit_log import (
    ScratchLog,
    budget_entry,
    chained,
    claim_created,
    lease_activated,
    participant,
    raw_envelope,
)
from support.helpers import KAFKA
from typer.testing import CliRunner

from datapark_audit.cli import app
from datapark_contracts.events.participants import ParticipantUpdated

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def run(command: str, *args: str, tmp: Path) -> tuple[int, Any, str]:
    out = tmp / f"{command}-{uuid.uuid4().hex[:6]}.json"
    result = CliRunner().invoke(
        app, [command, *args, "--bootstrap", KAFKA, "--no-progress", "--json", str(out)]
    )
    data = json.loads(out.read_text()) if out.exists() else None
    return result.exit_code, data, result.output


def updated(pid: uuid.UUID) -> ParticipantUpdated:
    base = participant(pid).model_dump()
    return ParticipantUpdated(**base)


@pytest.fixture(scope="module")
def faulty_log() -> Any:
    async def build() -> tuple[ScratchLog, dict[str, Any]]:
        log = await ScratchLog(partitions=1).create()
        holder, chain_g, chain_h, forged, schema, twice = (uuid.uuid4() for _ in range(6))
        lease_id, budget_id = uuid.uuid4(), uuid.uuid4()
        heads: dict[str, tuple[int, str]] = {}
        good = chained(
            [participant(holder), lease_activated(lease_id, holder)], heads=heads
        ) + chained([claim_created(uuid.uuid4(), holder, lease_id)], heads=heads)
        g = chained([participant(chain_g), updated(chain_g), updated(chain_g)], heads=heads)
        h = chained([participant(chain_h), updated(chain_h), updated(chain_h)], heads=heads)
        f = chained([participant(forged)], heads=heads)[0]
        s = chained([participant(schema)], heads=heads)[0]
        s = replace(s, data={**s.data, "region_code": "12"}, eventhash="").sealed()
        t1 = chained([participant(twice)], heads=heads)[0]
        t2 = replace(t1, data={**t1.data, "name": "another name"}, eventhash="").sealed()
        unknown = raw_envelope(
            "datapark.catalog.thing.happened.v1", str(uuid.uuid4()), {"x": 1}, source="/x"
        )
        lonely_claim = chained([claim_created(uuid.uuid4(), holder, uuid.uuid4())], heads=heads)[0]
        overspent = chained(
            [budget_entry(budget_id, holder, cap="1000.00", reserved="0.00", committed="1500.00")],
            heads=heads,
        )[0]
        records = [
            *good,
            g[0],
            g[2],
            h[0],
            h[2],
            h[1],
            f,
            s,
            unknown,
            t1,
            t2,
            lonely_claim,
            overspent,
        ]
        forged_value = {records.index(f): json.dumps({**f.data, "name": "forged"}).encode()}
        sent = await log.produce(records, checkpointer=log.checkpointer(), value=forged_value)
        other_key = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        impostor = log.checkpointer(signing_key_pem=other_key.decode())
        extra = chained([participant(uuid.uuid4())], heads=heads)
        sent += await log.produce(extra, checkpointer=impostor)
        offsets = {id(s.envelope): s.offset for s in sent}
        where = {
            "g3": offsets[id(g[2])],
            "h3": offsets[id(h[2])],
            "h2": offsets[id(h[1])],
            "forged": offsets[id(f)],
            "schema": offsets[id(s)],
            "unknown": offsets[id(unknown)],
            "twice": offsets[id(t2)],
            "lonely_claim": offsets[id(lonely_claim)],
            "overspent": offsets[id(overspent)],
            "good_claim": offsets[id(good[2])],
        }
        return log, where

    log, where = asyncio.run(build())
    yield log, where
    asyncio.run(log.delete())


def _found(data: list[dict[str, Any]]) -> set[tuple[str, int | None]]:
    return {(v["check"], v["offset"]) for v in data}


def test_every_record_fault_is_reported_with_its_location(faulty_log, tmp_path) -> None:
    log, where = faulty_log
    code, data, output = run("verify", "--topic-prefix", log.prefix, tmp=tmp_path)
    assert code == 1, output
    found = _found([v for v in data["violations"] if v["topic"] == log.data])
    assert ("eventhash", where["forged"]) in found
    assert ("chain", where["g3"]) in found  # a record removed from the middle of a chain
    assert ("chain", where["h3"]) in found
    assert ("chain", where["h2"]) in found
    assert ("type", where["unknown"]) in found
    assert ("schema", where["schema"]) in found
    assert ("event_id", where["twice"]) in found
    assert ("chain", where["good_claim"]) not in found
    reasons = {v["offset"]: v for v in data["violations"] if v["topic"] == log.data}
    assert "region_code" in reasons[where["schema"]]["reason"]
    assert reasons[where["forged"]]["event_id"]
    signature = [v for v in data["violations"] if v["check"] == "checkpoint_signature"]
    assert len(signature) == 1
    assert signature[0]["topic"] == log.checkpoints
    assert "VIOLATION" in output


def test_claim_without_lease_and_overspent_budget_break_invariants(faulty_log, tmp_path) -> None:
    log, where = faulty_log
    code, data, output = run("invariants", "--topic", log.data, tmp=tmp_path)
    assert code == 1, output
    found = _found(data)
    assert ("claim_without_lease", where["lonely_claim"]) in found
    assert ("budget_overspent", where["overspent"]) in found
    assert not any(offset == where["good_claim"] for _, offset in found)


@pytest.fixture(scope="module")
def rewritten_log() -> Any:
    async def build() -> ScratchLog:
        log = await ScratchLog(partitions=3).create()
        tail, a, b, c, d, e = (uuid.uuid4() for _ in range(6))
        heads: dict[str, tuple[int, str]] = {}
        t = chained([participant(tail), updated(tail), updated(tail), updated(tail)], heads=heads)
        ab = chained([participant(a), participant(b)], heads=heads)
        cd = chained([participant(c), participant(d), updated(c)], heads=heads)
        later = chained([participant(e)], heads=heads)
        checkpointer = log.checkpointer()
        await log.produce(t, partition=0, checkpointer=checkpointer)
        await log.produce(ab, partition=1, checkpointer=checkpointer)
        await log.produce(cd, partition=2, checkpointer=checkpointer)
        await log.produce(later, partition=2)  # after the last checkpoint
        # Someone with admin rights rewrites the topic: the tail of partition 0 is gone, the
        # two records of partition 1 swapped, aggregate d removed from partition 2. Every
        # per-aggregate chain that is left still links up.
        await log.rewrite(
            [(0, t[0]), (0, t[1]), (1, ab[1]), (1, ab[0]), (2, cd[0]), (2, cd[2]), (2, later[0])]
        )
        return log

    log = asyncio.run(build())
    yield log
    asyncio.run(log.delete())


def test_checkpoints_reveal_a_truncated_tail_a_reordered_partition_and_a_deleted_aggregate(
    rewritten_log, tmp_path
) -> None:
    log = rewritten_log
    code, data, output = run("verify", "--topic-prefix", log.prefix, tmp=tmp_path)
    assert code == 1, output
    by_partition: dict[int, set[str]] = {}
    for v in data["violations"]:
        if v["topic"] == log.data:
            by_partition.setdefault(v["partition"], set()).add(v["check"])
    assert "checkpoint_tail" in by_partition[0]
    assert "checkpoint_hash" in by_partition[1]
    assert "checkpoint_hash" in by_partition[2]
    assert not any(v["check"] == "chain" for v in data["violations"])  # chains alone: blind
    assert any(v["check"] == "checkpoint_heads" for v in data["violations"])


def test_a_clean_scratch_log_verifies_with_exit_zero(tmp_path) -> None:
    async def build() -> ScratchLog:
        log = await ScratchLog(partitions=2).create()
        holder, lease_id = uuid.uuid4(), uuid.uuid4()
        events = chained(
            [
                participant(holder),
                lease_activated(lease_id, holder),
                claim_created(uuid.uuid4(), holder, lease_id),
                budget_entry(
                    uuid.uuid4(), holder, cap="9000.00", reserved="0.00", committed="9000.00"
                ),
            ]
        )
        await log.produce(events, partition=None, checkpointer=log.checkpointer())
        return log

    log = asyncio.run(build())
    try:
        code, data, output = run(
            "verify", "--topic-prefix", log.prefix, "--require-checkpoints", tmp=tmp_path
        )
        assert code == 0, output
        assert data["violations"] == []
        assert data["events"] == 5
        assert data["covered_records"] == 4
        assert data["uncovered_records"] == 0
        code, findings, output = run("invariants", "--topic", log.data, tmp=tmp_path)
        assert code == 0, output
        assert findings == []
        code, rebuilt, output = run(
            "rebuild",
            "--as-of",
            "2030-01-01T00:00:00Z",
            "--out",
            str(tmp_path / "state"),
            "--topic",
            log.data,
            tmp=tmp_path,
        )
        assert code == 0, output
        assert rebuilt["aggregates"] == 4
        leases = (tmp_path / "state" / "rental.lease.jsonl").read_text().splitlines()
        assert json.loads(leases[0])["derived"]["principal_outstanding"] == "900000.00"
        budgets = (tmp_path / "state" / "subsidy.budget_use.jsonl").read_text().splitlines()
        assert json.loads(budgets[0])["committed"] == "9000.00"
        code, early, _ = run(
            "rebuild", "--as-of", "2000-01-01T00:00:00Z", "--topic", log.data, tmp=tmp_path
        )
        assert code == 0
        assert early["aggregates"] == 0
        html = tmp_path / "verify.html"
        code, _, _ = run("verify", "--topic-prefix", log.prefix, "--html", str(html), tmp=tmp_path)
        assert code == 0
        assert "The log verifies: no violation." in html.read_text()
    finally:
        asyncio.run(log.delete())


def test_unreachable_broker_is_a_clear_message_and_exit_2() -> None:
    env = {**os.environ, "DATAPARK_AUDIT_REQUEST_TIMEOUT_MS": "3000"}
    result = subprocess.run(
        [sys.executable, "-m", "datapark_audit", "verify", "--bootstrap", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot reach Kafka at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_usage_errors_exit_2(tmp_path) -> None:
    code, _, output = run("verify", "--since", "yesterday-ish", tmp=tmp_path)
    assert code == 2
    assert "--since" in output
    code, _, output = run("verify", "--checkpoint-keys", str(tmp_path / "none.json"), tmp=tmp_path)
    assert code == 2
    assert "cannot read checkpoint keys" in output
    code, _, output = run("verify", "--topic", "no.such.topic.v9", tmp=tmp_path)
    assert code == 2
    assert "no such topic on the cluster: no.such.topic.v9" in output


def test_worker_processes_find_exactly_what_one_process_finds(faulty_log, tmp_path) -> None:
    log, _ = faulty_log
    _, inline, _ = run("verify", "--topic-prefix", log.prefix, "--workers", "1", tmp=tmp_path)
    code, parallel, output = run(
        "verify", "--topic-prefix", log.prefix, "--workers", "2", tmp=tmp_path
    )
    assert code == 1, output
    assert parallel["violations"] == inline["violations"]
    assert parallel["records"] == inline["records"]
    assert parallel["fingerprint"] == inline["fingerprint"]  # the same snapshot, the same log
    assert parallel["snapshot"] == inline["snapshot"]


def test_since_reads_from_a_time_on(faulty_log, tmp_path) -> None:
    log, _ = faulty_log
    code, later, output = run(
        "verify", "--topic-prefix", log.prefix, "--since", "2999-01-01T00:00:00Z", tmp=tmp_path
    )
    assert code == 0, output
    assert later["records"] == 0
    _, everything, _ = run("verify", "--topic-prefix", log.prefix, tmp=tmp_path)
    code, since, _ = run(
        "verify", "--topic-prefix", log.prefix, "--since", "2000-01-01T00:00:00Z", tmp=tmp_path
    )
    assert code == 1
    assert since["records"] == everything["records"]
