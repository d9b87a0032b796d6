"""What the chaos run checks once everything has drained: the whole Kafka log read back, the
services' outboxes, inboxes and tables on the chaos database, the auditor's verdicts, and the
load generator's ledger held against all of it."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from chaos.chaos_load import Ledger
from chaos.chaos_stack import ROOT, SERVICES

from datapark_contracts.topics import CONSUMER_GROUPS, ConsumerGroup

MALFORMED_HEADER = "datapark-chaos-malformed"

# What each created resource is in the database (the path of the POST that created it).
CREATED_IN: dict[str, str] = {
    "register_company": "catalog.participants",
    "create_product": "catalog.data_products",
    "create_robot_model": "catalog.robot_models",
    "create_robot_unit": "catalog.robot_units",
    "create_offering": "catalog.rental_offerings",
    "place_order": "trading.orders",
    "request_transfer": "trading.transfers",
    "open_negotiation": "trading.negotiations",
    "book_robot": "rental.bookings",
    "apply_lease": "rental.leases",
    "pay_upfront": "rental.lease_payments",
    "pay_instalment": "rental.lease_payments",
    "create_designation": "subsidy.designations",
    "apply_subsidy": "subsidy.claims",
}
# Created resources that are aggregates with events of their own (subject = id) on Kafka.
PUBLISHES = {
    "register_company",
    "create_product",
    "create_robot_unit",
    "create_offering",
    "place_order",
    "request_transfer",
    "open_negotiation",
    "book_robot",
    "apply_lease",
    "apply_subsidy",
}


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    headers: dict[str, bytes]
    value: bytes | None

    @property
    def event_id(self) -> str | None:
        found = self.headers.get("ce_id")
        return found.decode() if found else None

    @property
    def subject(self) -> str | None:
        found = self.headers.get("ce_subject")
        return found.decode() if found else None

    @property
    def event_type(self) -> str | None:
        found = self.headers.get("ce_type")
        return found.decode() if found else None

    @property
    def aggseq(self) -> int | None:
        found = self.headers.get("ce_aggseq")
        return int(found) if found else None


def origin_of(letter: Record) -> tuple[str, int, int]:
    """The (topic, partition, offset) a dead letter was read from."""
    return (
        letter.headers.get("dlq_original_topic", b"").decode(),
        int(letter.headers.get("dlq_original_partition", b"-1")),
        int(letter.headers.get("dlq_original_offset", b"-1")),
    )


def handled_event_types(service: str) -> frozenset[str]:
    """The event types ``service``'s consumer has a handler for (its own handler table)."""
    module = importlib.import_module(f"datapark_{service}.handlers")
    if service == "subsidy":
        parameters = importlib.import_module("datapark_subsidy.terms.parameters")
        return frozenset(module.event_handlers(parameters.load_parameters()))
    return frozenset(module.event_handlers())


async def inbox_event_ids(connection: asyncpg.Connection, schema: str, consumer: str) -> set[str]:
    return {
        r["event_id"]
        for r in await connection.fetch(
            f'SELECT event_id::text FROM "{schema}".inbox WHERE consumer = $1', consumer
        )
    }


def participants_differing(
    catalog: dict[str, str],
    rows: dict[str, tuple[str, int]],
    events: list[Record],
    inbox: set[str],
) -> list[dict[str, Any]]:
    """Each participant whose (id, status) differs between catalog and a service's projection:
    both sides with their aggseq, and every participant event of it on Kafka, each marked
    whether the service's inbox holds it."""
    by_subject: dict[str, list[Record]] = {}
    for r in events:
        if r.topic == "catalog.participants.v1" and r.subject:
            by_subject.setdefault(r.subject, []).append(r)
    found = []
    for ident in sorted(set(catalog) | set(rows)):
        status = catalog.get(ident)
        held = rows.get(ident)
        if held is not None and held[0] == status:
            continue
        history = sorted(by_subject.get(ident, []), key=lambda r: r.aggseq or 0)
        found.append(
            {
                "id": ident,
                "catalog": None
                if status is None
                else {
                    "status": status,
                    "aggseq": max((r.aggseq or 0 for r in history), default=None),
                },
                "service": None if held is None else {"status": held[0], "aggseq": held[1]},
                "events": [
                    f"{r.partition}@{r.offset} {r.event_type} aggseq {r.aggseq} "
                    f"{'in inbox' if r.event_id in inbox else 'NOT in inbox'}"
                    for r in history
                ],
            }
        )
    return found


async def read_log(bootstrap: str) -> list[Record]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if not t.startswith("__")]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[Record] = []
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for messages in batch.values():
                for m in messages:
                    records.append(
                        Record(
                            m.topic,
                            m.partition,
                            m.offset,
                            m.timestamp,
                            m.key,
                            dict(m.headers),
                            m.value,
                        )
                    )
            # transaction markers hold offsets no record answers: trust the position
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return records


async def consumer_lag(
    bootstrap: str,
    *,
    groups: tuple[ConsumerGroup, ...] = CONSUMER_GROUPS,
    settle_seconds: float = 1.0,
) -> dict[str, int]:
    """The records each service's consumer group has not yet committed: per partition, the
    committed records (read_committed) from the group's committed offset to the end.

    Counted, not subtracted: each relay batch is a Kafka transaction whose commit marker takes
    an offset no record answers, and a consumer commits the offset after its last record, so
    ``end - committed`` is never 0 on a topic a relay writes. A partition whose reading stops
    short of its end (a transaction still open) counts what is left as lag. The partitions come
    from the cluster's own description of the groups' topics: a fresh client's metadata knows
    no topic until asked (``partitions_for_topic`` answered nothing here, so every group's lag
    read 0 whatever it was, and the drain waited for nobody)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        request_timeout_ms=3000,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        await admin.start()
        await reader.start()
        topics = sorted({t for group in groups for t in group.topics})
        partitions = [
            TopicPartition(d["topic"], p["partition"])
            for d in await admin.describe_topics(topics)
            for p in d["partitions"]
        ]
        ends = await reader.end_offsets(partitions)
        starts = await reader.beginning_offsets(partitions)
        lag: dict[str, int] = {}
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group.group_id)
            todo = {
                tp: max(starts[tp], committed[tp].offset if tp in committed else 0)
                for tp in partitions
                if tp.topic in group.topics
            }
            lag[group.group_id] = await records_between(reader, todo, ends, settle_seconds)
        return lag
    finally:
        await closed_quietly(reader.stop())
        await closed_quietly(admin.close())


async def closed_quietly(closing: Awaitable[Any]) -> None:
    """Await a Kafka client's stop, whatever it raises, unless this task is being cancelled.

    aiokafka's consumer stop cancels its fetcher task and can let that task's
    ``CancelledError`` out, though nobody cancelled the caller: the chaos monitor died of it
    mid-run (a 60 s attempt in fresh-ci ended with no verdict; crash.txt held the traceback).
    Only a cancellation of this task itself goes on."""
    try:
        await closing
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        pass


async def records_between(
    reader: AIOKafkaConsumer,
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    settle_seconds: float,
) -> int:
    """How many committed records lie in ``[starts[tp], ends[tp])`` over the partitions."""
    todo = {tp: first for tp, first in starts.items() if first < ends[tp]}
    if not todo:
        return 0
    reader.assign(list(todo))
    for tp, first in todo.items():
        reader.seek(tp, first)
    counted = 0
    pending = set(todo)
    idle_since = time.monotonic()
    while pending:
        batch = await reader.getmany(*pending, timeout_ms=200, max_records=5000)
        for tp, records in batch.items():
            counted += sum(1 for r in records if r.offset < ends[tp])
        before = len(pending)
        positions = {tp: await reader.position(tp) for tp in pending}
        pending = {tp for tp in pending if positions[tp] < ends[tp]}
        if batch or len(pending) < before:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > settle_seconds:
            # nothing more is readable (an open transaction holds the stable offset back):
            # what is left is not consumed yet
            counted += sum(ends[tp] - positions[tp] for tp in pending)
            break
    return counted


async def outbox_unsent(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        total = 0
        for schema in SERVICES:
            total += await connection.fetchval(
                f'SELECT count(*) FROM "{schema}".outbox WHERE sent_at IS NULL'
            )
        return int(total)
    finally:
        await connection.close()


RECONCILED = re.compile(r"relay \S+: (\d+) pending rows were already on Kafka")


def relay_reconciled(logs: Path) -> int:
    """How many outbox rows the services' relays found on Kafka and marked sent instead of
    sending again (from their logs: a killed process takes its metrics with it)."""
    if not logs.is_dir():
        return 0
    return sum(
        int(found.group(1))
        for log in sorted(logs.glob("*.log"))
        for found in RECONCILED.finditer(log.read_text(errors="replace"))
    )


@dataclass
class Verdict:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, ok: bool, **figures: Any) -> None:
        self.checks[name] = {"ok": ok, **figures}

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks.values())

    def failures(self) -> list[str]:
        return [f"{n}: {c}" for n, c in self.checks.items() if not c["ok"]]


def run_audit(command: str, bootstrap: str, out: Path) -> tuple[int, str]:
    argv = [sys.executable, "-m", "datapark_audit", command, "--bootstrap", bootstrap]
    argv += ["--exclude-test-injected", "--no-progress", "--json", str(out)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, (done.stdout + done.stderr)[-4000:]


async def check_all(
    dsn: str,
    bootstrap: str,
    ledger: Ledger,
    injected: list[tuple[str, int, int]],
    work: Path,
) -> tuple[Verdict, list[Record]]:
    verdict = Verdict()
    records = await read_log(bootstrap)
    events = [r for r in records if r.event_id and not r.topic.endswith(".dlq")]
    # the services' own events: no checkpoint, nothing the run injected on purpose
    platform_events = [
        r
        for r in events
        if r.topic != "audit.checkpoints.v1" and "datapark-test-injected" not in r.headers
    ]
    on_kafka = Counter(r.event_id for r in platform_events)
    connection = await asyncpg.connect(dsn)
    try:
        outbox: dict[str, str] = {}
        unsent = 0
        for schema in SERVICES:
            for row in await connection.fetch(
                f'SELECT id::text, topic, sent_at FROM "{schema}".outbox'
            ):
                outbox[row["id"]] = row["topic"]
                unsent += row["sent_at"] is None
        missing = [i for i in outbox if i not in on_kafka and outbox[i] != "audit.checkpoints.v1"]
        duplicated = {i: n for i, n in on_kafka.items() if n > 1}
        foreign = [r for r in platform_events if r.event_id not in outbox]
        # exactly once on Kafka: the relay's transactions and reconciliation leave no copy
        # (read committed); were there one, it would have to be the same record, byte for byte
        contents: dict[str, set[bytes | None]] = {}
        for r in platform_events:
            if r.event_id is not None and r.event_id in duplicated:
                contents.setdefault(r.event_id, set()).add(r.value)
        differing = [i for i, values in contents.items() if len(values) > 1]
        verdict.add(
            "outbox_to_kafka_no_loss",
            not missing and not foreign and not differing and not duplicated and unsent == 0,
            copies_differing=len(differing),
            outbox_rows=len(outbox),
            kafka_events=len(platform_events),
            lost=len(missing),
            duplicated=len(duplicated),
            duplicate_copies=sum(n - 1 for n in duplicated.values()),
            not_from_an_outbox=len(foreign),
            unsent=unsent,
            # rows a relay found already on Kafka when it reconciled (sent by an attempt
            # whose mark never committed): each one a copy the relay did not publish
            reconciled_not_resent=relay_reconciled(work / "logs"),
        )

        # every 2xx write the users saw is in the database, and (for aggregates) on Kafka
        subjects = Counter(r.subject for r in platform_events)
        absent_db: list[str] = []
        absent_kafka: list[str] = []
        created = [
            o
            for o in ledger.outcomes
            if isinstance(o.status, int) and 200 <= o.status < 300 and o.op in CREATED_IN
        ]
        for o in created:
            table = CREATED_IN[o.op]
            schema, name = table.split(".")
            ident = o.resource_id
            if ident is None:
                absent_db.append(f"{o.op}: no id in the answer")
                continue
            found = await connection.fetchval(
                f'SELECT count(*) FROM "{schema}"."{name}" WHERE id::text = $1', ident
            )
            if found != 1:
                absent_db.append(f"{o.op} {ident}: {found} rows in {table}")
            if o.op in PUBLISHES and subjects[ident] == 0:
                absent_kafka.append(f"{o.op} {ident}")
        verdict.add(
            "acknowledged_writes_durable",
            not absent_db and not absent_kafka,
            acknowledged_creates=len(created),
            acknowledged_writes=sum(
                1 for o in ledger.outcomes if isinstance(o.status, int) and 200 <= o.status < 300
            ),
            missing_in_db=absent_db[:20],
            missing_on_kafka=absent_kafka[:20],
        )

        # one idempotency key, one effect: no two created resources answer the same key
        by_key = Counter(o.key for o in created)
        verdict.add(
            "one_effect_per_key",
            all(n == 1 for n in by_key.values()),
            keys=len(by_key),
        )

        # projections converged: catalog's participants and listings as the others hold them
        catalog_rows = {
            r["id"]: r["status"]
            for r in await connection.fetch("SELECT id::text, status FROM catalog.participants")
        }
        catalog = set(catalog_rows.items())
        inboxes = {
            group.service: await inbox_event_ids(connection, group.service, group.group_id)
            for group in CONSUMER_GROUPS
        }
        differ: dict[str, int] = {}
        rows_differing: dict[str, list[dict[str, Any]]] = {}
        for schema in ("trading", "rental", "subsidy"):
            rows = {
                r["id"]: (r["status"], r["aggseq"])
                for r in await connection.fetch(
                    f'SELECT id::text, status, aggseq FROM "{schema}".participants'
                )
            }
            got = {(i, status) for i, (status, _) in rows.items()}
            if got != catalog:
                differ[schema] = len(got ^ catalog)
                rows_differing[schema] = participants_differing(
                    catalog_rows, rows, events, inboxes.get(schema, set())
                )
        catalog_listings = await connection.fetchval("SELECT count(*) FROM catalog.venue_listings")
        # the same listings in trading, each in the state catalog holds
        trading_listings = await connection.fetchval(
            """SELECT count(*) FROM catalog.venue_listings v JOIN trading.listings t
               ON t.id = v.id AND t.listing_state = v.state"""
        )
        units = await connection.fetchval("SELECT count(*) FROM catalog.robot_units")
        rental_units = await connection.fetchval("SELECT count(*) FROM rental.fleet_units")
        offerings = await connection.fetchval("SELECT count(*) FROM catalog.rental_offerings")
        rental_offerings = await connection.fetchval("SELECT count(*) FROM rental.offerings")
        verdict.add(
            "projections_converged",
            not differ
            and catalog_listings == trading_listings
            and units == rental_units
            and offerings == rental_offerings,
            participants=len(catalog),
            participants_differing=differ,
            # each participant that differs: catalog's status and latest aggseq (from its events
            # on Kafka), the service's row, and each of its events with where it went
            differing_rows={s: rows[:20] for s, rows in rows_differing.items()},
            listings=(catalog_listings, trading_listings),
            units=(units, rental_units),
            offerings=(offerings, rental_offerings),
        )

        # every event a group subscribes to and has a handler for reached its inbox or its
        # DLQ: a record a consumer skipped (its offset committed, its effect never applied)
        # shows here by name, not only as a projection that differs
        dead_lettered = {(r.topic, *origin_of(r)) for r in records if r.topic.endswith(".dlq")}
        unconsumed: dict[str, list[str]] = {}
        expected_total = 0
        for group in CONSUMER_GROUPS:
            handled = handled_event_types(group.service)
            inbox = inboxes[group.service]
            for r in events:
                if r.topic not in group.topics or r.event_type not in handled:
                    continue
                if "datapark-test-injected" in r.headers:
                    continue
                expected_total += 1
                if r.event_id in inbox:
                    continue
                if (group.dlq, r.topic, r.partition, r.offset) in dead_lettered:
                    continue
                unconsumed.setdefault(group.group_id, []).append(
                    f"{r.topic}/{r.partition}@{r.offset} {r.event_type} {r.subject} "
                    f"aggseq {r.aggseq} id {r.event_id}"
                )
        verdict.add(
            "consumed_every_event",
            not unconsumed,
            subscribed_events=expected_total,
            unconsumed={g: len(missing) for g, missing in unconsumed.items()},
            unconsumed_records={g: missing[:30] for g, missing in unconsumed.items()},
        )

        # every event a consumer applied, applied once; every applied event is on Kafka
        applied_twice = 0
        applied_unknown = 0
        inbox_rows = 0
        for schema in ("trading", "rental", "subsidy", "catalog"):
            rows = await connection.fetch(f'SELECT consumer, event_id::text FROM "{schema}".inbox')
            inbox_rows += len(rows)
            seen = Counter((r["consumer"], r["event_id"]) for r in rows)
            applied_twice += sum(n - 1 for n in seen.values() if n > 1)
            applied_unknown += sum(1 for (_, e) in seen if e not in on_kafka)
        verdict.add(
            "applied_once",
            applied_twice == 0 and applied_unknown == 0,
            inbox_rows=inbox_rows,
            applied_twice=applied_twice,
            applied_but_not_on_kafka=applied_unknown,
        )

        overlapping = await connection.fetchval(
            """SELECT count(*) FROM rental.unit_reservations a JOIN rental.unit_reservations b
               ON a.unit_id = b.unit_id AND a.id < b.id AND a.period && b.period
               WHERE a.status IN ('held','confirmed','checked_out','returned','maintenance')
                 AND b.status IN ('held','confirmed','checked_out','returned','maintenance')"""
        )
        race_wins = [len(r["won"]) for r in ledger.races]
        verdict.add(
            "no_double_booking",
            overlapping == 0 and all(w <= 1 for w in race_wins),
            races=len(ledger.races),
            racers=sum(r["racers"] for r in ledger.races),
            winners=sum(race_wins),
            overlapping_reservations=overlapping,
        )

        over_cap = await connection.fetchval(
            "SELECT count(*) FROM subsidy.budgets WHERE reserved + committed > cap"
        )
        from decimal import Decimal

        rounds_over = [r for r in ledger.claim_rounds if Decimal(r["granted"]) > Decimal(r["cap"])]
        at_cap = await connection.fetchval(
            "SELECT count(*) FROM subsidy.budgets WHERE reserved + committed = cap"
        )
        verdict.add(
            "no_budget_over_cap",
            over_cap == 0 and not rounds_over,
            budgets=await connection.fetchval("SELECT count(*) FROM subsidy.budgets"),
            budgets_exactly_at_cap=at_cap,
            claim_rounds=len(ledger.claim_rounds),
            over_cap=over_cap,
        )

        ledger_sum = await connection.fetchval(
            "SELECT coalesce(sum(amount), 0) FROM trading.ledger_entries"
        )
        unbalanced = await connection.fetchval(
            """SELECT count(*) FROM (SELECT transaction_id FROM trading.ledger_entries
               GROUP BY transaction_id, currency HAVING sum(amount) <> 0) t"""
        )
        # each escrow account holds its lock's amount while held, nothing once closed
        wrong_escrows = await connection.fetchval(
            """SELECT count(*) FROM trading.escrow_locks l WHERE
               coalesce((SELECT sum(e.amount) FROM trading.ledger_entries e
                 WHERE e.account_kind = 'escrow' AND e.account_holder = l.id::text), 0)
               <> CASE WHEN l.status = 'held' THEN l.amount ELSE 0 END"""
        )
        verdict.add(
            "escrow_balances",
            ledger_sum == 0 and unbalanced == 0 and wrong_escrows == 0,
            ledger_sum=str(ledger_sum),
            unbalanced_transactions=unbalanced,
            escrows_not_holding_their_amount=wrong_escrows,
            escrows=await connection.fetchval("SELECT count(*) FROM trading.escrow_locks"),
            released=await connection.fetchval(
                "SELECT count(*) FROM trading.escrow_locks WHERE status = 'released'"
            ),
        )
    finally:
        await connection.close()

    # the dead letters: exactly the malformed records, for every group reading their topic
    dlq = [r for r in records if r.topic.endswith(".dlq")]
    expected = {
        (g.dlq, origin) for g in CONSUMER_GROUPS for origin in injected if origin[0] in g.topics
    }

    def origin(r: Record) -> tuple[str, tuple[str, int, int]]:
        return r.topic, origin_of(r)

    found = Counter(origin(r) for r in dlq)
    strangers = [r for r in dlq if origin(r) not in expected]
    verdict.add(
        "dlq_holds_only_the_malformed",
        not strangers and set(found) == expected and all(n == 1 for n in found.values()),
        injected=len(injected),
        expected_dead_letters=len(expected),
        dead_letters=dict(Counter(r.topic for r in dlq)),
        # once each: a consumer that reads a record again (its partition's earlier owner
        # wrote the dead letter and stopped before committing) finds the letter in the DLQ
        written_twice=sum(n - 1 for n in found.values()),
        missing=len(expected - set(found)),
        unexpected=[
            f"{r.topic}@{r.offset}: {r.headers.get('dlq_reason', b'').decode()}"
            for r in strangers[:10]
        ],
    )

    for command in ("verify", "invariants"):
        code, text = run_audit(command, bootstrap, work / f"audit-{command}.json")
        verdict.add(f"audit_{command}", code == 0, exit_code=code, output=text[-1500:])

    statuses = Counter(str(a.status) for a in ledger.attempts)
    five_hundreds = [
        a
        for a in ledger.attempts
        if isinstance(a.status, int) and a.status >= 500 and a.status != 503
    ]
    no_retry_after = [a for a in ledger.attempts if a.status == 503 and not a.retry_after]
    verdict.add(
        "clients_refused_cleanly",
        not five_hundreds and not no_retry_after and statuses.get("timeout", 0) == 0,
        statuses=dict(statuses),
        non_503_5xx=[
            f"{a.op} {a.method} {a.path} {a.status} @{a.started:.1f}s" for a in five_hundreds[:10]
        ],
        five_o_three_without_retry_after=len(no_retry_after),
        timeouts=statuses.get("timeout", 0),
    )
    (work / "verdict.json").write_text(json.dumps(verdict.checks, indent=2, default=str))
    return verdict, records
