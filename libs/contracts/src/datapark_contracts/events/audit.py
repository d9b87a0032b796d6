"""Signed relay checkpoints (topic ``audit.checkpoints.v1``, key = relay term id).

A per-aggregate hash chain proves that each aggregate's events are intact and in order, but it
cannot see what is missing around it: a deleted tail, a deleted aggregate, a partition rewritten
or reordered. So each service's outbox relay vouches for what it sent. A **term** is one
relay's time as the active relay (it starts when the relay takes the lead); within a term the
relay publishes, every N events or T seconds, a checkpoint that names, per partition, the
offsets of the records it put there since the previous checkpoint and a running hash over
``(offset, eventhash)`` of every record it sent in the term, plus a digest of the aggregate
heads those records moved. The checkpoint is signed with the service's Ed25519 key; the
checkpoints of one term form a hash chain of their own (``aggseq`` = ``sequence``), so a
deleted checkpoint is seen too.

An auditor recomputes everything from the log (``datapark-audit verify``). The functions below
are the one definition of those hashes, used by the relay and by the auditor alike.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from datapark_contracts.canonical import GENESIS_HASH, canonical_json
from datapark_contracts.payloads import EventPayload, event
from datapark_contracts.topics import AUDIT_CHECKPOINTS

CHECKPOINT_TYPE = "datapark.audit.relay.checkpointed.v1"


class PartitionSegment(BaseModel):
    """What the relay put on one partition since its previous checkpoint of the term."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    partition: int = Field(ge=0)
    offsets: tuple[tuple[int, int], ...] = Field(
        description="inclusive offset ranges of the records sent, ascending"
    )
    count: int = Field(ge=1, description="records in those ranges")
    running_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="fold of (offset, eventhash) over every record of the term on this partition",
    )


@event(CHECKPOINT_TYPE, topic=AUDIT_CHECKPOINTS, aggregate="term")
class RelayCheckpointed(EventPayload):
    """A service's relay vouches, under its signature, for what it put on which partition."""

    term_id: uuid.UUID = Field(description="one relay's time as the active relay")
    service: str
    sequence: int = Field(ge=1, description="checkpoint number within the term (= aggseq)")
    term_started_at: AwareDatetime
    events: int = Field(ge=0, description="records covered by this checkpoint")
    term_events: int = Field(ge=0, description="records the relay sent in the term so far")
    partitions: tuple[PartitionSegment, ...]
    heads: int = Field(ge=0, description="aggregates whose chain head this checkpoint moved")
    heads_digest: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="sha256 over the sorted aggregate heads"
    )
    key_id: str = Field(description="which of the service's published keys signed it")
    signature: str = Field(description="Ed25519 over signing_bytes(), base64url without padding")
    occurred_at: AwareDatetime


def fold(running: str, offset: int, eventhash: str) -> str:
    """One step of a partition's running hash."""
    return hashlib.sha256(f"{running}:{offset}:{eventhash}".encode("ascii")).hexdigest()


def start_hash() -> str:
    return GENESIS_HASH


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """sha256 over ``aggregate_id:aggseq:eventhash`` lines, sorted."""
    lines = sorted(f"{aggregate}:{seq}:{eventhash}" for aggregate, seq, eventhash in heads)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def signing_bytes(data: dict[str, Any]) -> bytes:
    """What the signature covers: the canonical JSON of the payload without ``signature``."""
    return canonical_json({k: v for k, v in data.items() if k != "signature"})


def ranges(offsets: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Ascending offsets as inclusive ranges: 3,4,5,9 -> (3,5),(9,9)."""
    found: list[tuple[int, int]] = []
    for offset in offsets:
        if found and offset == found[-1][1] + 1:
            found[-1] = (found[-1][0], offset)
        else:
            found.append((offset, offset))
    return tuple(found)
