"""`datapark-audit verify` throughput beside a raw aiokafka read of the same records.

Writes N chained, schema-valid events (participants registered and updated, with Chinese
names) plus a signed relay checkpoint for every 1,000 of them to a scratch topic pair created
for the run and deleted afterwards (never a real topic), then reads them
1. raw: the same aiokafka consumer, manual assignment and fetch sizes, records only counted
   (the baseline);
2. replay: the platform's replay (``datapark_eventing.replay``: every record parsed into an
   Envelope, its event hash checked);
3. verify: the auditor's whole check (the strict CloudEvents check on every record, the
   official SDK on the first record of each type and every checkpoint, schema, key, event hash,
   chain, id uniqueness, checkpoint signatures and running hashes), in one process;
in turns, ``DATAPARK_BENCH_ROUNDS`` rounds (default 5), each with its own raw read, and prints
every round and the medians of the ratios (the machine may be shared: absolute rates move with
its load, ratios taken side by side much less). Once after the rounds, beside a raw read of its
own: verify with ``--sdk-every-record`` (the SDK reads every record too). It also times
canonical JSON of one event (the fast path against the reference rfc8785) and replay as it was
before (the reference implementation over re-serialised data, the standard library's JSON
decoder), once. Every read is one process; the raw read is the same ``LogReader`` (aiokafka
consumer, manual assignment, 50 MiB per fetch, 8 MiB per partition, each ``getmany`` taking
every record fetched, handed out 500 at a time with the event loop run in between) that verify
reads with, the records only counted. Each of the three is timed from its client's start
(connecting, finding the partitions and their offsets) to its last record (verify: to its
result).
Run: `make bench` (or `uv run python bench/audit_verify.py [N]`) with the local stack up.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from datapark_audit.cli import run_verify
from datapark_audit.reader import LogReader
from datapark_audit.settings import AuditSettings
from datapark_contracts import canonical
from datapark_contracts import envelope as envelope_module
from datapark_contracts.canonical import GENESIS_HASH, canonical_json, canonical_json_reference
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered, ParticipantUpdated
from datapark_contracts.events.rental import LeaseActivated, ScheduledPayment
from datapark_contracts.payloads import EventPayload
from datapark_eventing.checkpoints import Checkpointer
from datapark_eventing.replay import replay
from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM

KAFKA = f"127.0.0.1:{os.environ.get('DATAPARK_KAFKA_PORT', '9092')}"
EVENTS_PER_AGGREGATE = 5
ROUNDS = int(os.environ.get("DATAPARK_BENCH_ROUNDS", "5"))


def participant(pid: uuid.UUID, n: int, k: int, now: datetime) -> EventPayload:
    model = ParticipantRegistered if k == 0 else ParticipantUpdated
    return model(
        participant_id=pid,
        name=f"电力负荷曲线数据公司 {n}-{k}",
        uscc=None,
        kind="company",
        region_code="110105",
        roles=("participant",),
        park_member=True,
        status="active",
        occurred_at=now,
    )


def lease(lease_id: uuid.UUID, lessee: uuid.UUID, now: datetime) -> EventPayload:
    """A financing lease with its 36-month schedule: the platform's largest events."""
    schedule = tuple(
        ScheduledPayment(
            period=m,
            due_date=date(2026 + m // 12, m % 12 + 1, 1),
            payment=Decimal("27380.63"),
            interest=Decimal("3750.00"),
            principal=Decimal("23630.63"),
            balance=Decimal(900000 - 25000 * m).quantize(Decimal("0.01")),
        )
        for m in range(1, 37)
    )
    return LeaseActivated(
        lease_id=lease_id,
        lessee_participant_id=lessee,
        lessor_participant_id=lessee,
        offering_id=lease_id,
        kit_id=None,
        unit_ids=(lease_id,),
        mode="financing_lease",
        equipment_category="industrial_arm",
        equipment_cost=Decimal("1000000.00"),
        down_payment=Decimal("100000.00"),
        financed_principal=Decimal("900000.00"),
        balloon=Decimal("0.00"),
        buyout_price=Decimal("0.00"),
        deposit=Decimal("0.00"),
        fees=Decimal("0.00"),
        annual_rate=Decimal("0.05"),
        apr=Decimal("0.05"),
        term_months=36,
        amortization="annuity",
        start_date=date(2026, 1, 1),
        schedule=schedule,
        state="active",
        activated_on=date(2026, 1, 1),
        terminated_on=None,
        delinquency_bucket="0",
        occurred_at=now,
    )


def envelopes(count: int) -> list[Envelope]:
    """Chains of five events: four participants' for every lease's (a mix of small events and
    the large lease snapshots)."""
    return list(iter_envelopes(count))


def iter_envelopes(count: int) -> Iterator[Envelope]:
    """:func:`envelopes` one at a time (a million of them are not held at once)."""
    now = datetime.now(UTC)
    for n in range(count // EVENTS_PER_AGGREGATE):
        aggregate = uuid.uuid4()
        prev = GENESIS_HASH
        is_lease = n % 5 == 4
        for k in range(EVENTS_PER_AGGREGATE):
            payload = (
                lease(aggregate, aggregate, now) if is_lease else participant(aggregate, n, k, now)
            )
            env = Envelope(
                id=uuid.uuid4(),
                source="/datapark/rental" if is_lease else "/datapark/catalog",
                type=payload.event_type,
                subject=str(aggregate),
                time=now,
                data=payload.to_data(),
                aggseq=k + 1,
                prevhash=prev,
            ).sealed()
            prev = env.eventhash
            yield env


async def produce(data_topic: str, audit_topic: str, events: Iterable[Envelope]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, acks="all", linger_ms=20, max_batch_size=512 * 1024
    )
    checkpoints = Checkpointer(
        service="catalog",
        signing_key_pem=DEV_CHECKPOINT_PRIVATE_KEY_PEM,
        key_id=DEV_CHECKPOINT_KEY_ID,
        every_events=1000,
        topic=audit_topic,
    )
    await producer.start()
    try:
        stream = iter(events)
        while chunk := list(itertools.islice(stream, 1000)):
            futures = [
                (env, await producer.send(data_topic, env.value(), env.key, headers=env.headers()))
                for env in chunk
            ]
            for env, future in futures:
                sent = await future
                checkpoints.record(data_topic, sent.partition, sent.offset, env)
            await checkpoints.maybe_publish(producer, force=True)
    finally:
        await producer.stop()


async def raw_read(topic: str) -> tuple[int, float]:
    """The same aiokafka consumer, assignment and fetch sizes as verify; records only counted.
    Timed as replay and verify are, from the client's start to its last record (connecting and
    finding the partitions and their offsets included)."""
    started = time.perf_counter()
    async with LogReader(AuditSettings(bootstrap=KAFKA)) as reader:
        await reader.open([topic])
        count = 0
        async for batch in reader.batches():
            count += len(batch)
    return count, time.perf_counter() - started


async def replay_read(topic: str, *, reference: bool) -> tuple[int, float]:
    """The platform's replay (Envelope.from_kafka checks each event hash), with the fast
    canonical JSON or, for comparison, with the reference implementation patched in."""
    # as before: every hash over re-serialised data by the reference code, stdlib JSON
    patches: dict[tuple[object, str], object] = {
        (canonical, "canonical_json"): canonical.canonical_json_reference,
        (envelope_module, "chain_hash_of_canonical"): lambda *_: "",
        # the hash over the bytes received, which from_kafka tries first (plain texts never
        # reach chain_hash_of_canonical): without this, "as before" read the fast path
        (envelope_module, "event_hash"): lambda *_: "",
        (envelope_module, "loads_json"): json.loads,
        # and the compiled parser, which does all of the above in one function
        (envelope_module, "_parse_plain"): None,
    }
    saved = {target: getattr(*target) for target in patches}
    if reference:
        for (module, name), replacement in patches.items():
            setattr(module, name, replacement)
    try:
        started = time.perf_counter()
        count = 0
        async for record in replay(KAFKA, [topic]):
            assert record.envelope is not None, record.error
            count += 1
        return count, time.perf_counter() - started
    finally:
        for (module, name), original in saved.items():
            setattr(module, name, original)


def canonical_timing(event: Envelope) -> tuple[float, float]:
    value = {"attributes": event.hashed_attributes(), "data": event.data}
    figures = []
    for function in (canonical_json, canonical_json_reference):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(5000):
                function(value)
            best = min(best, (time.perf_counter() - started) / 5000)
        figures.append(best * 1e6)
    return figures[0], figures[1]


async def main(count: int) -> None:
    suffix = uuid.uuid4().hex[:8]
    data_topic, audit_topic = f"bench.audit.{suffix}", f"bench.audit.{suffix}.checkpoints"
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(data_topic, 6, 1), NewTopic(audit_topic, 1, 1)])
        events = envelopes(count)
        started = time.perf_counter()
        await produce(data_topic, audit_topic, events)
        print(f"wrote {len(events)} events in {time.perf_counter() - started:.1f}s")
        samples = (("participant", events[0]), ("36-month lease", events[20]))
        # Not kept: a heap of 100,000 envelopes would be walked by every garbage collection
        # during the reads, slowing the raw read and replay (verify pauses the collector).
        del events
        for label, sample in samples:
            fast, reference = canonical_timing(sample)
            print(
                f"canonical JSON of one {label} event: fast path {fast:.1f} µs, rfc8785 "
                f"reference {reference:.1f} µs ({reference / fast:.1f}x)"
            )
        settings = AuditSettings(bootstrap=KAFKA)
        count, seconds = await replay_read(data_topic, reference=True)
        print(
            f"replay as before (rfc8785 over re-serialised data, stdlib json): {count} records "
            f"in {seconds:.2f}s = {count / seconds:,.0f}/s"
        )
        # The machine is shared: each figure is read beside its baseline in the same round,
        # in turns, and the ratios' medians are what counts.
        verify_ratios: list[float] = []
        replay_ratios: list[float] = []
        result = None
        for turn in range(1, ROUNDS + 1):
            cpu = time.process_time()
            raw_count, raw_seconds = await raw_read(data_topic)
            raw_cpu = (time.process_time() - cpu) / raw_count * 1e6
            raw_rate = raw_count / raw_seconds
            cpu = time.process_time()
            count, seconds = await replay_read(data_topic, reference=False)
            replay_cpu = (time.process_time() - cpu) / count * 1e6
            replay_rate = count / seconds
            cpu = time.process_time()
            started = time.perf_counter()
            result = await run_verify(settings, topics=[data_topic, audit_topic], workers=1)
            verify_seconds = time.perf_counter() - started
            verify_cpu = (time.process_time() - cpu) / result.records * 1e6
            verify_rate = result.records / verify_seconds
            verify_ratios.append(verify_rate / raw_rate)
            replay_ratios.append(replay_rate / raw_rate)
            print(
                f"round {turn}: raw aiokafka read {raw_rate:,.0f}/s ({raw_cpu:.1f} µs CPU/record); "
                f"replay {replay_rate:,.0f}/s = {replay_rate / raw_rate:.2f}x "
                f"({replay_cpu:.1f} µs); verify {verify_rate:,.0f}/s = "
                f"{verify_rate / raw_rate:.2f}x ({verify_cpu:.1f} µs)"
            )
        print(
            f"median of {ROUNDS} rounds: replay (datapark_eventing.replay, every hash checked) "
            f"{statistics.median(replay_ratios):.2f}x of raw (target >= 0.5x); "
            f"datapark-audit verify {statistics.median(verify_ratios):.2f}x of raw "
            "(target >= 0.3x)"
        )
        raw_count, raw_seconds = await raw_read(data_topic)
        started = time.perf_counter()
        every = await run_verify(
            settings, topics=[data_topic, audit_topic], workers=1, sdk_every_record=True
        )
        rate = every.records / (time.perf_counter() - started)
        print(
            f"verify --sdk-every-record (the official SDK reads all {every.sdk_records} records "
            f"too): {rate:,.0f}/s = {rate / (raw_count / raw_seconds):.2f}x of raw "
            f"({raw_count / raw_seconds:,.0f}/s just before), "
            f"{'clean' if every.clean else 'VIOLATIONS'}"
        )
        cpus = os.cpu_count() or 1
        if cpus >= 3:
            raw_count, raw_seconds = await raw_read(data_topic)
            started = time.perf_counter()
            result = await run_verify(settings, topics=[data_topic, audit_topic], workers=cpus - 1)
            rate = result.records / (time.perf_counter() - started)
            print(
                f"datapark-audit verify, {cpus - 1} worker processes: {rate:,.0f}/s beside a raw "
                f"read in one process of {raw_count / raw_seconds:,.0f}/s (not a like-for-like "
                "ratio: the raw read has one process)"
            )
        assert result is not None
        print(
            f"verify result: {'clean' if result.clean else 'VIOLATIONS'}, "
            f"{result.checkpoints} checkpoints, {result.covered_records} records vouched for, "
            f"{result.sdk_records} records also read by the official CloudEvents SDK"
        )
        if not result.clean:
            for finding in result.violations[:5]:
                print("  ", finding)
    finally:
        await admin.delete_topics([data_topic, audit_topic])
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
