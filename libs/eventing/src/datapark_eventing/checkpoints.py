"""Signed relay checkpoints: the relay vouches for exactly what it put on which partition.

The outbox relay calls :meth:`Checkpointer.record` for every record the broker acknowledged
(with the partition and offset the broker assigned) and :meth:`Checkpointer.maybe_publish`
after each batch; every ``every_events`` records or ``every_seconds`` (whichever first, and only
when something was sent) it publishes a :class:`RelayCheckpointed` event on the audit topic,
signed with the service's Ed25519 key. The hashes are defined once, in
``datapark_contracts.events.audit``; ``datapark-audit verify`` recomputes them from the log.

A term is the lifetime of one relay object: checkpoints of a term chain by ``aggseq``. Records
are identified by their offsets, so another writer on the same partition (a standby that led
for a while, a second platform on a shared development broker) does not disturb a term's
hashes; what the auditor reports is a record that a checkpoint names but the log no longer
holds at that offset, or holds with other content. Records sent after a term's last checkpoint
(the relay stopped before the next one) are covered by no checkpoint: at most ``every_events``
records or ``every_seconds`` of them.

``python -m datapark_eventing.checkpoints public-key`` prints the JWKS entry of the configured
key (``DATAPARK_CHECKPOINT_SIGNING_KEY_PEM``, ``DATAPARK_CHECKPOINT_KEY_ID``, ``--service``) for
the file the auditors are given.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope
from datapark_contracts.events.audit import (
    PartitionSegment,
    RelayCheckpointed,
    fold,
    heads_digest,
    ranges,
    signing_bytes,
)
from datapark_contracts.ids import uuid7
from datapark_contracts.topics import AUDIT_CHECKPOINTS
from datapark_kit.settings import ServiceSettings

log = logging.getLogger("datapark.checkpoints")


class _Producer(Protocol):
    async def send(self, topic: str, value: bytes, key: bytes, headers: Any) -> Any: ...


class Chained(Protocol):
    """What a checkpoint takes of a sent record: its place in its aggregate's chain (an
    :class:`~datapark_contracts.envelope.Envelope`, or the relay's row without its data)."""

    @property
    def subject(self) -> str: ...
    @property
    def aggseq(self) -> int: ...
    @property
    def eventhash(self) -> str: ...


def load_signing_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("checkpoint signing key must be an Ed25519 private key (PKCS#8 PEM)")
    return key


def public_jwk(key: Ed25519PrivateKey, key_id: str, service: str | None = None) -> dict[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        "kid": key_id,
        "alg": "EdDSA",
        "use": "sig",
    }
    if service:
        jwk["service"] = service
    return jwk


@dataclass
class _Partition:
    running: str = GENESIS_HASH
    pending: list[int] = field(default_factory=list)
    pending_running: str = GENESIS_HASH


class Checkpointer:
    """Keeps one relay term's running hashes and publishes signed checkpoints."""

    def __init__(
        self,
        *,
        service: str,
        signing_key_pem: str,
        key_id: str,
        every_events: int = 1000,
        every_seconds: float = 30.0,
        topic: str = AUDIT_CHECKPOINTS,
    ) -> None:
        self.service = service
        self.source = f"/datapark/{service}"
        self.key = load_signing_key(signing_key_pem)
        self.key_id = key_id
        self.every_events = every_events
        self.every_seconds = every_seconds
        self.topic = topic
        self.term_id = uuid7()
        self.term_started_at = datetime.now(UTC)
        self.sequence = 0
        self.prevhash = GENESIS_HASH
        self.term_events = 0
        self._partitions: dict[tuple[str, int], _Partition] = {}
        self._heads: dict[str, tuple[int, str]] = {}
        self._pending = 0
        self._last_publish = time.monotonic()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Checkpointer:
        return cls(
            service=settings.service_name,
            signing_key_pem=settings.checkpoint_signing_key_pem.get_secret_value(),
            key_id=settings.checkpoint_key_id,
            every_events=settings.checkpoint_every_events,
            every_seconds=settings.checkpoint_every_seconds,
        )

    def record(self, topic: str, partition: int, offset: int, envelope: Chained) -> None:
        """A record the broker acknowledged at ``topic``/``partition``/``offset``."""
        state = self._partitions.setdefault((topic, partition), _Partition())
        if not state.pending:
            state.pending_running = state.running
        state.pending.append(offset)
        state.pending_running = fold(state.pending_running, offset, envelope.eventhash)
        self._heads[envelope.subject] = (envelope.aggseq, envelope.eventhash)
        self._pending += 1

    def due(self) -> bool:
        if not self._pending:
            return False
        return (
            self._pending >= self.every_events
            or time.monotonic() - self._last_publish >= self.every_seconds
        )

    def build(self) -> Envelope:
        """The next checkpoint of the term, signed and sealed (nothing is committed yet)."""
        segments = []
        for (topic, partition), state in sorted(self._partitions.items()):
            if not state.pending:
                continue
            offsets = sorted(state.pending)
            segments.append(
                PartitionSegment(
                    topic=topic,
                    partition=partition,
                    offsets=ranges(offsets),
                    count=len(offsets),
                    running_hash=state.pending_running,
                )
            )
        unsigned = RelayCheckpointed(
            term_id=self.term_id,
            service=self.service,
            sequence=self.sequence + 1,
            term_started_at=self.term_started_at,
            events=self._pending,
            term_events=self.term_events + self._pending,
            partitions=tuple(segments),
            heads=len(self._heads),
            heads_digest=heads_digest((a, s, h) for a, (s, h) in self._heads.items()),
            key_id=self.key_id,
            signature="",
            occurred_at=datetime.now(UTC),
        )
        data = unsigned.to_data()
        signature = self.key.sign(signing_bytes(data))
        data["signature"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
        return Envelope(
            id=uuid7(),
            source=self.source,
            type=RelayCheckpointed.event_type,
            subject=str(self.term_id),
            time=unsigned.occurred_at,
            data=data,
            aggseq=self.sequence + 1,
            prevhash=self.prevhash,
        ).sealed()

    def committed(self, envelope: Envelope) -> None:
        """The broker acknowledged ``envelope``: its records are vouched for."""
        for state in self._partitions.values():
            if state.pending:
                state.running = state.pending_running
                state.pending = []
        self.sequence = envelope.aggseq
        self.prevhash = envelope.eventhash
        self.term_events += self._pending
        self._pending = 0
        self._heads = {}
        self._last_publish = time.monotonic()

    async def maybe_publish(self, producer: _Producer, *, force: bool = False) -> Envelope | None:
        """Publish a checkpoint when one is due (or ``force`` and anything is pending).

        A checkpoint that cannot be sent (the audit topic missing, the broker refusing) never
        stops the relay's delivery of events: it is logged, what it would have covered stays
        pending, and the next call tries again with everything pending since.
        """
        if not (self.due() or (force and self._pending)):
            return None
        envelope = self.build()
        try:
            future = await producer.send(
                self.topic, value=envelope.value(), key=envelope.key, headers=envelope.headers()
            )
            await future
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "checkpoint of %s not published (%s: %s); retrying with the next batch",
                self.service,
                type(exc).__name__,
                exc,
            )
            return None
        self.committed(envelope)
        return envelope

    async def flush(self, producer: _Producer, *, within: float = 5.0) -> None:
        """On the way out (the relay stops or loses its producer): vouch for what is pending,
        if the broker still answers; never raises, so the relay's own shutdown goes on."""
        try:
            await asyncio.wait_for(self.maybe_publish(producer, force=True), within)
        except Exception as exc:  # the broker is gone: those records stay uncovered
            log.warning(
                "checkpoint of %s not published on shutdown (%s)", self.service, type(exc).__name__
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datapark_eventing.checkpoints")
    parser.add_argument("command", choices=["public-key"])
    parser.add_argument("--service", default=None, help="the service the key belongs to")
    args = parser.parse_args(argv)
    from datapark_kit.devkeys import DEV_CHECKPOINT_KEY_ID, DEV_CHECKPOINT_PRIVATE_KEY_PEM

    pem = os.environ.get("DATAPARK_CHECKPOINT_SIGNING_KEY_PEM", DEV_CHECKPOINT_PRIVATE_KEY_PEM)
    key_id = os.environ.get("DATAPARK_CHECKPOINT_KEY_ID", DEV_CHECKPOINT_KEY_ID)
    jwk = public_jwk(load_signing_key(pem), key_id, args.service)
    json.dump({"keys": [jwk]}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
