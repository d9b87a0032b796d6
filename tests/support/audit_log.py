"""Scratch logs for the auditor's tests: topics made for one test on the local Kafka (never a
platform topic), events built from the real payload models, chained and sealed as the outbox
does, and signed relay checkpoints from the real Checkpointer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.participants import ParticipantRegistered
from datapark_contracts.events.rental import LeaseActivated
from datapark_contracts.events.subsidy import BudgetEntryRecorded, ClaimCreated
from datapark_contracts.ids import uuid7
from datapark_contracts.payloads import EventPayload
from datapark_eventing.checkpoints import Checkpointer
from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM
from support.helpers import KAFKA
from support.leases import one_month_financing_lease

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Event times advance one second per event, so time order is the order of writing.
_CLOCK = [NOW]


def participant(
    pid: uuid.UUID,
    *,
    name: str | None = None,
    region: str = "110105",
    status: str = "active",
    occurred_at: datetime = NOW,
) -> Any:
    """A park member company's registration (the auditor's tests' sample participant)."""
    return ParticipantRegistered(
        participant_id=pid,
        name=f"北京机器人租赁 {str(pid)[:4]}" if name is None else name,
        uscc=None,
        kind="company",
        region_code=region,
        roles=("participant",),
        park_member=True,
        status=status,  # type: ignore[arg-type]
        occurred_at=occurred_at,
    )


def lease_activated(lease_id: uuid.UUID, lessee: uuid.UUID) -> LeaseActivated:
    return one_month_financing_lease(
        lease_id, lessee, lessor=lessee, start=date(2026, 3, 1), occurred_at=NOW
    )


def claim_created(claim_id: uuid.UUID, holder: uuid.UUID, lease_id: uuid.UUID | None) -> Any:
    return ClaimCreated(
        claim_id=claim_id,
        policy="beijing_financing_lease",
        participant_id=holder,
        lease_id=lease_id,
        designation_id=None,
        period="2026",
        status="under_review",
        entitled=Decimal("9000.00"),
        granted=None,
        policy_version="0" * 64,
        occurred_at=NOW,
        earned_on=date(2026, 3, 1),
        explanation=("financed principal 900000.00 x 1% = 9000.00",),
    )


def budget_entry(
    budget_id: uuid.UUID, holder: uuid.UUID, *, cap: str, reserved: str, committed: str
) -> Any:
    return BudgetEntryRecorded(
        budget_id=budget_id,
        entry_id=uuid.uuid4(),
        policy="beijing_financing_lease",
        participant_id=holder,
        period="2026",
        op="post",
        amount=Decimal(committed),
        claim_id=uuid.uuid4(),
        idempotency_key=str(uuid.uuid4()),
        cap=Decimal(cap),
        reserved=Decimal(reserved),
        committed=Decimal(committed),
        occurred_at=NOW,
    )


def source_of(payload: EventPayload) -> str:
    return f"/datapark/{payload.event_type.split('.')[1]}"


def chained(
    payloads: Iterable[EventPayload], *, heads: dict[str, tuple[int, str]] | None = None
) -> list[Envelope]:
    """Sealed envelopes, each aggregate's chain continuing from ``heads`` (updated)."""
    heads = {} if heads is None else heads
    out = []
    for payload in payloads:
        _CLOCK[0] += timedelta(seconds=1)
        key = f"{source_of(payload)} {payload.aggregate_id()}"
        seq, prev = heads.get(key, (0, GENESIS_HASH))
        envelope = Envelope(
            id=uuid7(),
            source=source_of(payload),
            type=payload.event_type,
            subject=payload.aggregate_id(),
            time=_CLOCK[0],
            data=payload.to_data(),
            aggseq=seq + 1,
            prevhash=prev,
        ).sealed()
        heads[key] = (envelope.aggseq, envelope.eventhash)
        out.append(envelope)
    return out


def raw_envelope(
    event_type: str, subject: str, data: dict[str, Any], *, source: str = "/datapark/trading"
) -> Envelope:
    """An envelope whose data no model checked (for faults and for chart data)."""
    return Envelope(
        id=uuid7(),
        source=source,
        type=event_type,
        subject=subject,
        time=NOW,
        data=data,
        aggseq=1,
        prevhash=GENESIS_HASH,
    ).sealed()


@dataclass
class Sent:
    envelope: Envelope
    partition: int
    offset: int


@dataclass
class ScratchLog:
    """Topics ``<prefix>.data`` (partitions as asked) and ``<prefix>.checkpoints``."""

    partitions: int = 3
    prefix: str = field(default_factory=lambda: f"audit-test-{uuid.uuid4().hex[:10]}")
    sent: list[Sent] = field(default_factory=list)

    @property
    def data(self) -> str:
        return f"{self.prefix}.data"

    @property
    def checkpoints(self) -> str:
        return f"{self.prefix}.checkpoints"

    def checkpointer(self, **overrides: Any) -> Checkpointer:
        options: dict[str, Any] = {
            "service": "catalog",
            "signing_key_pem": DEV_CHECKPOINT_PRIVATE_KEY_PEM,
            "key_id": DEV_CHECKPOINT_KEY_ID,
            "every_events": 1_000_000,
            "topic": self.checkpoints,
        }
        options.update(overrides)
        return Checkpointer(**options)

    async def create(self) -> ScratchLog:
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(self.data, self.partitions, 1), NewTopic(self.checkpoints, 1, 1)]
            )
        finally:
            await admin.close()
        return self

    async def delete(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            await admin.delete_topics([self.data, self.checkpoints])
        finally:
            await admin.close()

    async def produce(
        self,
        envelopes: Sequence[Envelope],
        *,
        partition: int | None = 0,
        checkpointer: Checkpointer | None = None,
        value: dict[int, bytes] | None = None,
        headers: dict[int, list[tuple[str, bytes]]] | None = None,
    ) -> list[Sent]:
        """Send in order; ``value``/``headers`` replace what record i carries (forgeries)."""
        producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all", linger_ms=5)
        await producer.start()
        sent = []
        try:
            for i, envelope in enumerate(envelopes):
                meta = await (
                    await producer.send(
                        self.data,
                        value=(value or {}).get(i, envelope.value()),
                        key=envelope.key,
                        headers=(headers or {}).get(i, envelope.headers()),
                        partition=partition,
                    )
                )
                sent.append(Sent(envelope, meta.partition, meta.offset))
                if checkpointer is not None:
                    checkpointer.record(self.data, meta.partition, meta.offset, envelope)
            if checkpointer is not None:
                await checkpointer.maybe_publish(producer, force=True)
        finally:
            await producer.stop()
        self.sent.extend(sent)
        return sent

    async def rewrite(self, records: Sequence[tuple[int, Envelope]]) -> None:
        """Delete the data topic and write it anew with ``records`` (partition, envelope), as
        someone with admin rights on the cluster could; the checkpoints topic stays."""
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            await admin.delete_topics([self.data])
            for _ in range(100):
                if self.data not in await admin.list_topics():
                    break
                await asyncio.sleep(0.1)
            for _ in range(100):
                try:
                    await admin.create_topics([NewTopic(self.data, self.partitions, 1)])
                    break
                except Exception:  # the broker may still be deleting the old topic
                    await asyncio.sleep(0.2)
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
        await producer.start()
        try:
            for partition, envelope in records:
                await (
                    await producer.send(
                        self.data,
                        value=envelope.value(),
                        key=envelope.key,
                        headers=envelope.headers(),
                        partition=partition,
                    )
                )
        finally:
            await producer.stop()


def with_data(envelope: Envelope, **changes: Any) -> Envelope:
    """The same envelope (same id and hash) with other data: a forgery."""
    return replace(envelope, data={**envelope.data, **changes})
