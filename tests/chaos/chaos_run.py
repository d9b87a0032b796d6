"""``make chaos``: the platform under a mixed load while a fault schedule strikes, then checked.

    PYTHONPATH=tests python -m chaos.chaos_run [--profile 5m|60s] [--doc docs/reliability.md]

Starts a chaos stack of its own (``.local/chaos``: Postgres on 54339, Kafka on 9192/9193, the
services on 8101-8104 and a second trading worker on 8112), drives it with ``chaos_load.Users``
while faults strike (each at least once: Kafka ``kill -9`` and restart, Postgres fast shutdown
and restart, ``kill -9`` of a service process, the relay leader killed while another waits, a
consumer stalled past its session timeout, a burst of malformed records), lets everything
drain, and checks the result (``chaos_check``). Writes ``<work>/report.json`` and, with
``--doc``, the reliability document. Exit status 0 only when every check holds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from chaos.chaos_check import MALFORMED_HEADER, Record, check_all, consumer_lag, outbox_unsent
from chaos.chaos_load import Ledger, Users
from chaos.chaos_stack import ROOT, SERVICES, ChaosStack, Process, chaos_lock

INJECTED_HEADER = "datapark-test-injected"
MALFORMED_TOPIC = "catalog.participants.v1"


@dataclass(frozen=True)
class Profile:
    name: str
    duration: float
    kafka_outage: float
    pg_outage: float
    stall: float  # > the consumers' 10 s session timeout
    schedule: tuple[tuple[float, tuple[str, ...]], ...]
    max_requests: int
    concurrency: int
    malformed: int = 12


# Phases strike one after the other (a phase starts at its time or when the one before has
# recovered, whichever is later); the faults of one phase strike together and touch different
# parts (the 60 s profile packs two pairs to fit ``make test``; the 5 minute one never does).
PROFILES = {
    "60s": Profile(
        "60s",
        duration=60,
        kafka_outage=10,
        pg_outage=5,
        stall=15,
        schedule=(
            (3, ("kafka_kill9",)),
            (5, ("postgres_fast_shutdown",)),
            (5, ("service_kill9", "relay_leader_kill9")),
            (5, ("consumer_stall", "malformed_burst")),
        ),
        max_requests=6000,
        concurrency=6,
    ),
    "5m": Profile(
        "5m",
        duration=300,
        kafka_outage=30,
        pg_outage=10,
        stall=20,
        schedule=(
            (20, ("kafka_kill9",)),
            (95, ("postgres_fast_shutdown",)),
            (130, ("service_kill9",)),
            (160, ("relay_leader_kill9",)),
            (195, ("consumer_stall",)),
            (235, ("malformed_burst",)),
            (255, ("service_kill9",)),
        ),
        max_requests=40000,
        concurrency=8,
    ),
}


@dataclass
class Fault:
    name: str
    struck: float
    restored: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Monitor:
    """Readiness of every process every 0.5 s, consumer lag every second."""

    ready: list[tuple[float, dict[str, bool]]] = field(default_factory=list)
    lag: list[tuple[float, dict[str, int] | None]] = field(default_factory=list)

    async def run(self, stack: ChaosStack, ledger: Ledger, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            tick = 0
            while not stop.is_set():
                sample: dict[str, bool] = {}
                for name, process in stack.processes.items():
                    try:
                        answer = await client.get(f"{process.url}/readyz")
                        sample[name] = answer.status_code == 200
                    except httpx.HTTPError:
                        sample[name] = False
                self.ready.append((ledger.now(), sample))
                if tick % 2 == 0:
                    try:
                        lag: dict[str, int] | None = await asyncio.wait_for(
                            consumer_lag(stack.bootstrap), 4
                        )
                    except Exception:
                        lag = None
                    self.lag.append((ledger.now(), lag))
                tick += 1
                await asyncio.sleep(0.5)

    def green_after(self, moment: float) -> float | None:
        for t, sample in self.ready:
            if t >= moment and sample and all(sample.values()):
                return t
        return None

    def red_between(self, start: float, end: float) -> list[str]:
        return sorted(
            {n for t, s in self.ready if start <= t <= end for n, ok in s.items() if not ok}
        )

    def lag_zero_after(self, moment: float) -> float | None:
        for t, lag in self.lag:
            if t >= moment and lag is not None and not any(lag.values()):
                return t
        return None


class Chaos:
    def __init__(self, profile: Profile, work: Path) -> None:
        self.profile = profile
        self.work = work
        self.stack = ChaosStack()
        self.ledger = Ledger()
        self.monitor = Monitor()
        self.faults: list[Fault] = []
        self.injected: list[tuple[str, int, int]] = []
        self.wall0 = time.time()
        self.timings: dict[str, float] = {}

    # -- faults ----------------------------------------------------------------------------------
    async def kafka_kill9(self, fault: Fault) -> None:
        fault.detail["pid"] = self.stack.kafka_kill9()
        fault.detail["outage_seconds"] = self.profile.kafka_outage
        await asyncio.sleep(self.profile.kafka_outage)
        began = time.monotonic()
        await asyncio.to_thread(self.stack.up)
        fault.detail["broker_start_seconds"] = round(time.monotonic() - began, 1)

    async def postgres_fast_shutdown(self, fault: Fault) -> None:
        await asyncio.to_thread(self.stack.pg_fast_shutdown)
        fault.detail["down_at"] = round(self.ledger.now(), 1)
        await asyncio.sleep(self.profile.pg_outage)
        began = time.monotonic()
        await asyncio.to_thread(self.stack.pg_start)
        fault.detail["database_start_seconds"] = round(time.monotonic() - began, 1)

    async def service_kill9(self, fault: Fault) -> None:
        victim = self.stack.processes["rental"]
        fault.detail |= {"process": victim.name, "pid": victim.pid}
        # mid-batch: while lease and booking requests are in flight
        victim.kill9()
        await asyncio.sleep(1.0)
        began = time.monotonic()
        victim.start()
        await asyncio.to_thread(victim.wait_ready, 90)
        fault.detail["process_start_seconds"] = round(time.monotonic() - began, 1)

    async def relay_leader_kill9(self, fault: Fault) -> None:
        pair = [self.stack.processes["trading"], self.stack.processes["trading-worker"]]
        metric = 'datapark_relay_leader{service="trading"}'
        waited = time.monotonic()

        async def leading() -> list[Process]:
            return [p for p in pair if await asyncio.to_thread(p.metric, metric) == 1.0]

        leaders = await leading()
        while len(leaders) != 1 and time.monotonic() - waited < 30:
            await asyncio.sleep(0.5)
            leaders = await leading()
        fault.detail["waited_for_a_leader_seconds"] = round(time.monotonic() - waited, 1)
        if len(leaders) != 1:
            fault.detail["leaders_seen"] = [p.name for p in leaders]
        leader = leaders[0] if leaders else pair[0]
        standby = next(p for p in pair if p is not leader)
        fault.detail |= {"leader": leader.name, "pid": leader.pid, "standby": standby.name}
        leader.kill9()
        killed = time.monotonic()
        took_over = False
        while not took_over and time.monotonic() - killed < 60:
            took_over = await asyncio.to_thread(standby.metric, metric) == 1.0
            if not took_over:
                await asyncio.sleep(0.2)
        fault.detail["standby_took_over_seconds"] = round(time.monotonic() - killed, 2)
        fault.detail["standby_leads"] = took_over
        leader.start()
        await asyncio.to_thread(leader.wait_ready, 90)

    async def consumer_stall(self, fault: Fault) -> None:
        victim = self.stack.processes["trading-worker"]
        fault.detail |= {
            "process": victim.name,
            "pid": victim.pid,
            "stalled_seconds": self.profile.stall,
        }
        victim.signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(self.profile.stall)
        finally:
            victim.signal(signal.SIGCONT)

    async def malformed_burst(self, fault: Fault) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, acks="all")
        await producer.start()
        try:
            for n in range(self.profile.malformed):
                headers = [(INJECTED_HEADER, b"true"), (MALFORMED_HEADER, b"true")]
                if n % 3 == 0:
                    value = bytes(random.getrandbits(8) for _ in range(40))
                elif n % 3 == 1:
                    value = b'{"id": "not an event", "amount": '
                else:  # a CloudEvent id and nothing else
                    value = b"{}"
                    headers.append(("ce_id", b"not-a-uuid"))
                sent = await producer.send_and_wait(
                    MALFORMED_TOPIC, value, key=f"chaos-{n}".encode(), headers=headers
                )
                self.injected.append((sent.topic, sent.partition, sent.offset))
        finally:
            await producer.stop()
        fault.detail["records"] = self.profile.malformed

    async def schedule(self) -> None:
        for at, names in self.profile.schedule:
            await asyncio.sleep(max(0.0, at - self.ledger.now()))
            await asyncio.gather(*(self.strike(name) for name in names))
            # the next phase once the platform answers again (or after 60 s: a finding)
            limit = time.monotonic() + 60
            while time.monotonic() < limit and not await self.all_ready():  # noqa: ASYNC110 - polling HTTP probes
                await asyncio.sleep(0.5)
            await asyncio.sleep(3.0)  # a little steady load between phases

    async def all_ready(self) -> bool:
        answers = await asyncio.gather(
            *(asyncio.to_thread(p.ready, 1.0) for p in self.stack.processes.values())
        )
        return all(answers)

    async def strike(self, name: str) -> None:
        fault = Fault(name, self.ledger.now())
        self.faults.append(fault)
        action: Callable[[Fault], Awaitable[None]] = getattr(self, name)
        try:
            await action(fault)
        except Exception as exc:  # a fault that cannot be struck is a finding, not a crash
            fault.detail["error"] = f"{type(exc).__name__}: {exc}"
        fault.restored = self.ledger.now()
        print(f"[chaos] {fault.restored:6.1f}s {name} done {fault.detail}", flush=True)

    # -- the run ---------------------------------------------------------------------------------
    async def drain(self, timeout: float = 120.0) -> dict[str, Any]:
        began = time.monotonic()
        state: dict[str, Any] = {}
        while time.monotonic() - began < timeout:
            try:
                unsent = await outbox_unsent(self.stack.dsn)
                lag = await consumer_lag(self.stack.bootstrap)
            except Exception as exc:
                state = {"error": str(exc)}
                await asyncio.sleep(1)
                continue
            ready = await self.all_ready()
            state = {"unsent": unsent, "lag": lag, "ready": ready}
            if unsent == 0 and not any(lag.values()) and ready:
                state["seconds"] = round(time.monotonic() - began, 1)
                return state
            await asyncio.sleep(1)
        state["timed_out"] = True
        return state

    async def load_and_faults(self) -> None:
        urls = {s: self.stack.processes[s].url for s in SERVICES}
        users = Users(
            urls,
            self.stack.dsn,
            duration=10**6,  # until the schedule has struck and the duration is over
            max_requests=self.profile.max_requests,
            concurrency=self.profile.concurrency,
            ledger=self.ledger,
        )
        stop = asyncio.Event()
        monitor = asyncio.create_task(self.monitor.run(self.stack, self.ledger, stop))
        loaders = asyncio.create_task(users.run())
        await self.schedule()
        await asyncio.sleep(max(0.0, self.profile.duration - self.ledger.now()))
        # no new journey from now on; those under way may finish
        users.deadline = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(loaders), 45)
        except TimeoutError:
            users.stopping = True
            await loaders
        self.timings["load_seconds"] = round(self.ledger.now(), 1)
        drained = await self.drain()
        self.timings["drain"] = drained  # type: ignore[assignment]
        stop.set()
        await monitor

    def run(self) -> int:
        """One run at a time on this machine: a second one (another `make test` in the same
        tree) waits for the chaos stack instead of resetting it under the first."""
        with chaos_lock() as waited:
            self.timings["waited_for_another_run_seconds"] = round(waited, 1)
            return self._run()

    def _run(self) -> int:
        self.work.mkdir(parents=True, exist_ok=True)
        self.stack.check_ports_free()
        t0 = time.monotonic()
        print("[chaos] starting a fresh chaos stack in .local/chaos", flush=True)
        try:
            self.stack.fresh()
            self.timings["stack_seconds"] = round(time.monotonic() - t0, 1)
            self.stack.migrate()
            self.timings["migrate_seconds"] = round(time.monotonic() - t0, 1)
            self.stack.start_services(self.work / "logs")
        except BaseException:
            self.stack.down()
            raise
        self.timings["setup_seconds"] = round(time.monotonic() - t0, 1)
        print(
            f"[chaos] platform ready in {self.timings['setup_seconds']}s; load for "
            f"{self.profile.duration:.0f}s",
            flush=True,
        )
        self.ledger = Ledger()
        self.wall0 = time.time()
        try:
            asyncio.run(self.load_and_faults())
            verdict, records = asyncio.run(
                check_all(
                    self.stack.dsn, self.stack.bootstrap, self.ledger, self.injected, self.work
                )
            )
        except BaseException:
            # a run that breaks before its verdict leaves why beside its logs (a rerun in
            # `make test` would otherwise hide the first attempt's traceback)
            (self.work / "crash.txt").write_text(
                f"timings {self.timings}\n\n{traceback.format_exc()}"
            )
            raise
        finally:
            self.stack.stop_services()
            if os.environ.get("DATAPARK_CHAOS_KEEP_STACK") != "1":
                self.stack.down()
        self.timings["total_seconds"] = round(time.monotonic() - t0, 1)
        report = self.report(verdict.checks, records)
        (self.work / "report.json").write_text(json.dumps(report, indent=2, default=str))
        (self.work / "ledger.jsonl").write_text(
            "\n".join(json.dumps(asdict(a), default=str) for a in self.ledger.attempts) + "\n"
        )
        print(json.dumps({k: v["ok"] for k, v in verdict.checks.items()}, indent=1))
        for failure in verdict.failures():
            print(f"[chaos] FAILED {failure[:1500]}", file=sys.stderr)
        self.last_report = report
        return 0 if verdict.ok else 1

    # -- figures ---------------------------------------------------------------------------------
    def report(self, checks: dict[str, Any], records: list[Record]) -> dict[str, Any]:
        ends = [f.struck for f in self.faults[1:]] + [self.ledger.now()]
        ordered = sorted(self.faults, key=lambda f: f.struck)
        windows = []
        first = ordered[0].struck if ordered else self.ledger.now()
        windows.append(("before any fault", 0.0, first, None))
        for i, fault in enumerate(ordered):
            end = ordered[i + 1].struck if i + 1 < len(ordered) else self.ledger.now()
            windows.append((fault.name, fault.struck, end, fault))
        del ends
        seen_ids: Counter[str] = Counter()
        rows = []
        for name, start, end, fault in windows:
            # a request belongs to the window it was answered in (what the fault did to it)
            attempts = [a for a in self.ledger.attempts if start <= a.started + a.seconds < end]
            statuses = Counter(str(a.status) for a in attempts)
            produced = dup = dead = 0
            for r in records:
                t = r.timestamp_ms / 1000 - self.wall0
                if not start <= t < end:
                    continue
                if r.topic.endswith(".dlq"):
                    dead += 1
                elif (
                    r.event_id
                    and r.topic != "audit.checkpoints.v1"
                    and INJECTED_HEADER not in r.headers
                ):
                    produced += 1
                    seen_ids[r.event_id] += 1
                    dup += seen_ids[r.event_id] > 1
            row: dict[str, Any] = {
                "window": name,
                "from_s": round(start, 1),
                "to_s": round(end, 1),
                "sent": len(attempts),
                "succeeded": sum(n for s, n in statuses.items() if s.startswith("2")),
                "refused": {s: n for s, n in sorted(statuses.items()) if not s.startswith("2")},
                "events_produced": produced,
                "duplicated": dup,
                "dead_letters": dead,
            }
            if fault is not None:
                restored = fault.restored or fault.struck
                green = self.monitor.green_after(restored)
                lag0 = self.monitor.lag_zero_after(restored)
                row |= {
                    "restored_at_s": round(restored, 1),
                    "readiness_red": self.monitor.red_between(fault.struck, restored + 2),
                    "ready_again_after_restore_s": None
                    if green is None
                    else round(green - restored, 1),
                    "lag_zero_after_restore_s": None if lag0 is None else round(lag0 - restored, 1),
                    "detail": fault.detail,
                }
            rows.append(row)
        return {
            "profile": asdict(self.profile),
            "timings": self.timings,
            "journeys": self.ledger.journeys,
            "journey_errors": self.ledger.journey_errors[:40],
            "journey_error_count": len(self.ledger.journey_errors),
            "unfinished": self.ledger.unfinished,
            "races": self.ledger.races,
            "claim_rounds": self.ledger.claim_rounds,
            "windows": rows,
            # each group's lag (committed records past its committed offset), sampled about
            # once a second through the run: None where the reading failed (a fault)
            "lag_samples": [(round(t, 1), lag) for t, lag in self.monitor.lag],
            "checks": checks,
            "totals": {
                "attempts": len(self.ledger.attempts),
                "logical_writes": len(self.ledger.outcomes),
                "statuses": dict(Counter(str(a.status) for a in self.ledger.attempts)),
                "max_latency_s": round(
                    max((a.seconds for a in self.ledger.attempts), default=0), 2
                ),
            },
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="5m")
    parser.add_argument("--work", type=Path, default=ROOT / ".local" / "chaos-run")
    parser.add_argument("--doc", type=Path, default=None, help="write the reliability document")
    args = parser.parse_args(argv)
    # the run's own Kafka clients meet a dead broker on purpose: keep their complaints out
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    chaos = Chaos(PROFILES[args.profile], args.work)
    status = chaos.run()
    if args.doc is not None:
        from chaos.chaos_doc import render

        args.doc.write_text(render(chaos.last_report), encoding="utf-8")
        print(f"[chaos] wrote {args.doc}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
