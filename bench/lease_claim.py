"""Lease activated -> subsidy has it and its claims assessed, beside a raw Kafka produce ->
consume round trip on the same broker in the same run (issue #14, the "lease -> claim" row).

The platform runs on the chaos stack (``tests/chaos/chaos_stack.py``): its own Postgres
(54339), Kafka (9192/9193) and the four services as processes on 8101-8104, all in
``.local/chaos``, reset at the start and stopped at the end (also on failure). The development
stack (54329/9092) and its topics and tables are never touched; the chaos lock
(``.local/chaos.lock``) is taken as ``chaos_run`` takes it, so this never resets a stack
another run is using.

Leases are made by the chaos load's own client (``tests/chaos/chaos_load.py``: companies
registered and approved, a robot offered, lessor financials, a financing lease applied for,
signed, its upfront paid), LEASES of them (and WARM_UP more) prepared concurrently; then each is
activated ONE AT A TIME on an otherwise idle platform (a latency, not a throughput), the first
WARM_UP not counted, and timed:

- start: the moment the client has the activation's 2xx answer (rental committed the lease and
  its ``lease.activated`` outbox row before answering);
- end: the first moment subsidy has committed what that event does there: the lease recorded
  with its schedule and its claims assessed (``LeaseService.lease_activated``, which runs
  ``ClaimService.accrue_lease_claims``: the handler that opens a claim once one is earned),
  seen by polling the ``subsidy.leases`` row (``activated_on`` set, ``assessed``) every
  POLL_MS over one idle connection.

Why not "a claim visible in GET /v1/claims": subsidy earns a lease claim only from instalments
that fell due and were paid, and rental activates no earlier than the day the lease is signed,
so the first instalment falls due a month after any activation this run can make: at
activation the assessment records "nothing earned yet" (ineligible, ``no_payments_due`` /
``nothing_earned``), and no API of subsidy shows a lease's assessment. The event hop timed is
the same one that opens the claim later (rental commit -> relay -> Kafka -> subsidy consumer ->
lease handler + claim accrual -> commit). Polling the database rather than an endpoint also
keeps the probe off subsidy's event loop, where the consumer being timed runs. The polling
error is at most POLL_MS plus one indexed SELECT.

The Kafka record timestamps (CreateTime, set by the relay when it sends; one host clock) split
each lease's time into rental's relay (answer -> ``lease.activated`` record) and subsidy's
consume + handler + commit (record -> seen); the row's ``updated_at`` (set in subsidy's
handler, before its commit) gives the handler's start.

Baseline, same broker, same run, on a scratch topic of the chaos broker: a producer made by
``make_producer`` (acks=all, idempotent, linger 5 ms) with a transactional id, one record per
transaction (begin, send, commit), and a ``read_committed`` consumer like the services'
(``getmany(timeout_ms=500)``); the time from the start of the transaction to the consumer
holding the record. Printed beside it (ROUND_TRIPS): the same with the send awaited before the
commit, as the relay does, and a plain ``send_and_wait``.

The section it writes into ``docs/performance.md`` sits between ``<!-- lease-claim:begin -->``
and ``<!-- lease-claim:end -->``; BENCH_PROFILE=1 also samples subsidy's process with py-spy
while the activations run (collapsed stacks in ``.local/profile-lease-claim.txt``).

Run: ``make bench`` or ``uv run python bench/lease_claim.py [--leases N] [--no-write]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from datapark_contracts.topics import RENTAL_ORDERS, TOPICS
from datapark_eventing.kafka import make_producer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import read_back, write_section  # noqa: E402
from chaos.chaos_load import BEIJING, XIONGAN, Ledger, Users  # noqa: E402
from chaos.chaos_stack import ChaosStack, chaos_lock  # noqa: E402
from paths import machine, pct  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- lease-claim:begin -->", "<!-- lease-claim:end -->"
LEASES = int(os.environ.get("BENCH_LEASES", "40"))
SAMPLES = int(os.environ.get("BENCH_RTT_SAMPLES", "100"))
POLL_MS = 2.0
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
PROFILE_OUT = ROOT / ".local" / "profile-lease-claim.txt"
PREPARE_CONCURRENCY = 4
WARM_UP = 1
"""Activations made first and not counted, as the baseline's first round trip is not: the first
event a freshly started subsidy handles compiles and prepares each of its statements (runs of
2026-11-30 16:13-16:21 counting it: the first lease of five runs took 18.3, 26.1, 23.9, 25.7 and
43.2 ms, the slowest or second slowest of its 40 every time). Printed apart, the cold figure."""
SCRATCH = f"bench.lease-claim.{uuid.uuid4().hex[:8]}"


@dataclass
class Timed:
    lease_id: str
    region: str
    acked: float  # wall clock (s) when the activation's answer arrived
    seen: float  # wall clock (s) when subsidy's lease row was first seen committed, assessed
    handled: float = 0.0  # the row's updated_at, set by subsidy's handler
    activated_ts: float = 0.0  # the lease.activated record's timestamp (s)

    @property
    def ms(self) -> float:
        return (self.seen - self.acked) * 1000


# -- the platform's side -------------------------------------------------------------------------


async def prepare(users: Users, region: str) -> tuple[str, dict[str, str]]:
    """A financing lease up to its activation: companies, robot, financials, applied, signed,
    upfront paid (the chaos journey's steps, through its client, once subsidy has the lessee).
    Returns the lease's path and the lessor's headers."""
    lease = await users.lease_paid_upfront(region, date.today(), lessee_in_subsidy=True)
    if lease is None:
        raise RuntimeError("lease not approved")
    path, lessor, _ = lease
    return path, lessor


async def assessed(db: asyncpg.Connection, lease_id: str, within: float) -> float:
    """Poll subsidy.leases every POLL_MS until the lease is recorded as activated and its claims
    assessed: the wall clock then."""
    limit = time.monotonic() + within
    while True:
        found = await db.fetchval(
            "SELECT 1 FROM subsidy.leases WHERE id = $1::uuid "
            "AND activated_on IS NOT NULL AND assessed",
            lease_id,
        )
        if found:
            return time.time()
        if time.monotonic() > limit:
            raise RuntimeError(f"lease {lease_id} not assessed in subsidy within {within}s")
        await asyncio.sleep(POLL_MS / 1000)


async def measure_leases(stack: ChaosStack, n: int) -> list[Timed]:
    urls = {name: process.url for name, process in stack.processes.items()}
    users = Users(
        urls, stack.dsn, duration=3600, max_requests=10**9, concurrency=1, ledger=Ledger()
    )
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
    for service, url in urls.items():
        users.clients[service] = httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits)
    gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

    async def one(k: int) -> tuple[str, str, dict[str, str]]:
        region = BEIJING if k % 2 == 0 else XIONGAN
        async with gate:
            path, lessor = await prepare(users, region)
        return region, path, lessor

    db = await asyncpg.connect(stack.dsn)
    timed: list[Timed] = []
    spy: subprocess.Popen[bytes] | None = None
    try:
        # one more than timed: the first activation warms the path up (see WARM_UP)
        ready = await asyncio.gather(*(one(k) for k in range(n + WARM_UP)))
        print(f"[lease-claim] {n} + {WARM_UP} (warm-up) leases ready to activate", flush=True)
        if PROFILE:
            # BENCH_PROFILE=1: subsidy's process sampled while the activations run
            spy = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "-o",
                    str(PROFILE_OUT),
                    "--pid",
                    str(stack.processes["subsidy"].pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)
        for region, path, lessor in ready:
            await asyncio.sleep(0.2)  # the previous lease's events settled: an idle platform
            await users.ok(
                "activate_lease",
                "rental",
                "POST",
                f"{path}/activate",
                lessor,
                {"delivery_accepted_on": date.today().isoformat()},
            )
            acked = time.time()
            lease_id = path.rsplit("/", 1)[1]
            timed.append(Timed(lease_id, region, acked, await assessed(db, lease_id, within=30)))
        rows = await db.fetch(
            "SELECT id::text, updated_at FROM subsidy.leases WHERE id = ANY($1::uuid[])",
            [t.lease_id for t in timed],
        )
        at = {r["id"]: r["updated_at"].timestamp() for r in rows}
        for t in timed:
            t.handled = at[t.lease_id]
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            spy.wait(timeout=30)
        await db.close()
        for client in users.clients.values():
            await client.aclose()
    return timed


def committed_reader(bootstrap: str) -> AIOKafkaConsumer:
    """A consumer in no group, committing nothing, that reads only committed records."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )


async def record_timestamps(bootstrap: str, timed: Sequence[Timed]) -> None:
    """Each lease's ``lease.activated`` record timestamp, read back from the chaos broker."""
    by_lease = {t.lease_id: t for t in timed}
    consumer = committed_reader(bootstrap)
    await consumer.start()
    try:
        orders = next(t for t in TOPICS if t.name == RENTAL_ORDERS)
        parts = [TopicPartition(RENTAL_ORDERS, p) for p in range(orders.partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        remaining = {tp for tp in parts if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    if headers.get("ce_type") != "datapark.rental.lease.activated.v1":
                        continue
                    lease = json.loads(r.value or b"{}").get("lease_id")
                    if lease in by_lease:
                        by_lease[lease].activated_ts = r.timestamp / 1000
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


# -- the baseline --------------------------------------------------------------------------------


ROUND_TRIPS = ("commit", "await-then-commit", "plain")
"""The raw round trips, each ``make_producer`` (acks=all, idempotent, linger 5 ms) -> a
``read_committed`` consumer: ``commit``: begin, send, commit (the commit flushes the record at
once); ``await-then-commit``: begin, send, await the send's acknowledgement, commit, which is
what the relay does (``OutboxRelay.publish_batch``: its ``_send_rows`` awaits every send before
the commit, so a lone event waits out the linger); ``plain``: ``send_and_wait``, no
transaction."""


async def raw_round_trips(bootstrap: str, topic: str) -> dict[str, list[float]]:
    """Each of ROUND_TRIPS, SAMPLES times, ms."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    consumer = committed_reader(bootstrap)
    await consumer.start()
    transactional = make_producer(
        bootstrap, client_id="bench-lease-claim-tx", transactional_id=f"{topic}.tx"
    )
    plain = make_producer(bootstrap, client_id="bench-lease-claim")
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
        await transactional.start()
        await plain.start()
        return {
            how: await _round_trips(
                consumer, topic, plain if how == "plain" else transactional, how
            )
            for how in ROUND_TRIPS
        }
    finally:
        await transactional.stop()
        await plain.stop()
        await consumer.stop()


async def _round_trips(
    consumer: AIOKafkaConsumer, topic: str, producer: Any, how: str
) -> list[float]:
    out: list[float] = []
    for n in range(SAMPLES + 1):  # the first warms the connections up
        marker = f"rtt-{uuid.uuid4().hex}".encode()
        started = time.perf_counter()
        if how == "plain":
            await producer.send_and_wait(topic, marker, key=b"rtt")
        else:
            await producer.begin_transaction()
            sent = await producer.send(topic, marker, key=b"rtt")
            if how == "await-then-commit":
                await sent
            await producer.commit_transaction()
        await read_back(consumer, marker, timeout_ms=500)
        if n:
            out.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.01)
    return out


# -- report --------------------------------------------------------------------------------------


def trio(values: Sequence[float]) -> str:
    return f"{pct(values, 0.5):.1f} / {pct(values, 0.95):.1f} / {pct(values, 0.99):.1f}"


def report(timed: Sequence[Timed], cold: Sequence[Timed], raw: dict[str, list[float]]) -> list[str]:
    tx = raw["commit"]
    total = [t.ms for t in timed]
    relay = [(t.activated_ts - t.acked) * 1000 for t in timed if t.activated_ts]
    consume = [(t.seen - t.activated_ts) * 1000 for t in timed if t.activated_ts]
    to_handler = [(t.handled - t.activated_ts) * 1000 for t in timed if t.activated_ts]
    ratio99 = pct(total, 0.99) / pct(tx, 0.99)
    ratio50 = pct(total, 0.5) / pct(tx, 0.5)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "## Lease activated -> subsidy has assessed it (`bench/lease_claim.py`)",
        "",
        f"Run {when} on {machine()}; the platform on the chaos stack (its own Postgres, "
        "Kafka and the four services, one process each, relay poll 0.5 s; client on the same "
        f"cores); load average {os.getloadavg()[0]:.1f} at the end (other work on the "
        f"machine). {len(timed)} financing leases (Beijing and Xiong'an lessees) activated one "
        f"at a time after {len(cold)} warm-up activation (as the baseline's first round trip, "
        "not counted); the end is subsidy's commit of the lease and its claim assessment "
        f"(subsidy.leases polled every {POLL_MS:.0f} ms; a claim itself is earned only by an "
        "instalment that fell due and was paid, a month after activation at the earliest: see "
        "the module's docstring). Ratio: datapark / baseline (lower is better; target p99 <= 3).",
        "",
        "| path | p50 / p95 / p99 ms | baseline, same run (p50 / p95 / p99 ms) | ratio p50 / p99 |",
        "|---|---|---|---|",
        f"| lease activated (answer) -> subsidy committed the lease and its claim assessment | "
        f"{trio(total)} | transactional produce -> read_committed consume, same broker: "
        f"{trio(tx)} | {ratio50:.1f} / {ratio99:.1f} |",
        f"| of which: answer -> lease.activated record (rental's relay) | "
        f"{trio(relay) if relay else '-'} | - | - |",
        f"| of which: record -> committed in subsidy (consumer + handler + commit) | "
        f"{trio(consume) if consume else '-'} | - | - |",
        f"| (reference) record -> subsidy's handler running (row's updated_at) | "
        f"{trio(to_handler) if to_handler else '-'} | - | - |",
        "| (reference) the first activation after subsidy started (warm-up, not counted above) "
        f"| {' / '.join(f'{t.ms:.1f}' for t in cold) or '-'} | - | - |",
        "| (reference) raw, as the relay sends: begin, send, await the send, commit -> "
        f"read_committed consume | {trio(raw['await-then-commit'])} | - | - |",
        f"| (reference) raw, send_and_wait, no transaction -> read_committed consume | "
        f"{trio(raw['plain'])} | - | - |",
    ]


def write_doc(lines: Sequence[str]) -> None:
    write_section(DOC, BEGIN, END, lines)


# -- run -----------------------------------------------------------------------------------------


async def measure(stack: ChaosStack, n: int) -> list[str]:
    timed = await measure_leases(stack, n)
    await record_timestamps(stack.bootstrap, timed)
    raw = await raw_round_trips(stack.bootstrap, SCRATCH)
    lines = report(timed[WARM_UP:], timed[:WARM_UP], raw)
    print(
        "[lease-claim] per lease, ms: total = relay + record->handler + handler->seen", flush=True
    )
    for k, t in enumerate(timed):
        at = datetime.fromtimestamp(t.acked, UTC).strftime("%H:%M:%S.%f")[:-3]
        split = (
            f"{(t.activated_ts - t.acked) * 1000:.1f} + {(t.handled - t.activated_ts) * 1000:.1f}"
            f" + {(t.seen - t.handled) * 1000:.1f}"
            if t.activated_ts
            else "-"
        )
        warm = " (warm-up)" if k < WARM_UP else ""
        print(f"[lease-claim] {at} {t.ms:.1f} = {split}{warm}", flush=True)
    return lines


def main(n: int, write: bool) -> None:
    with chaos_lock():
        stack = ChaosStack()
        stack.check_ports_free()
        work = stack.local / "bench-lease-claim"
        try:
            print("[lease-claim] starting the chaos stack in .local/chaos", flush=True)
            stack.fresh()
            stack.migrate()
            stack.start_services(work / "logs", workers=())
            lines = asyncio.run(measure(stack, n))
        finally:
            stack.stop_services()
            stack.down()
    print("\n".join(lines))
    if write:
        write_doc(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=LEASES)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    arguments = parser.parse_args()
    main(arguments.leases, not arguments.no_write)
