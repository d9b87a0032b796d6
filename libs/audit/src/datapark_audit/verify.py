"""``verify``: every record of the log checked on its own, per aggregate, and against the
relays' signed checkpoints.

Per record (:mod:`datapark_audit.record`): a binary-mode CloudEvent by a strict check written
from the specification, which the official SDK reads alike; the datapark attributes present; a
known type; data valid against the exported JSON Schema of that type and version; key =
subject (the aggregate id); ``eventhash`` = the chain hash of its attributes and data. Per
aggregate: ``aggseq`` gapless from 1 (or from the first event seen when reading from a
time), each ``prevhash`` the previous ``eventhash``. Across the log: one event id, one content
(a redelivery with the same content is at-least-once delivery, not a violation). Per relay
checkpoint: a valid Ed25519 signature by a published key, and every record it names present
at its offset with the same content in the same order (running hash), and the aggregate heads
it names. Dead letters are read too: they must be copies of real events, and each is listed.

The :class:`Verifier` is pure (records in, findings out) so that it is tested without Kafka.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from datapark_audit.record import (
    INJECTED_HEADER,
    Inspected,
    SdkReading,
    inspect_record,
    schema_validators,
)
from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.events.audit import CHECKPOINT_TYPE, fold, heads_digest, signing_bytes

__all__ = ["INJECTED_HEADER", "Finding", "Verifier", "VerifyResult"]


class RecordLike(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any
    timestamp: int


@dataclass(frozen=True)
class Finding:
    """One violation (or notice) with where it is."""

    check: str
    reason: str
    topic: str = ""
    partition: int | None = None
    offset: int | None = None
    event_id: str | None = None
    event_type: str | None = None

    def location(self) -> str:
        if self.partition is None:
            return self.topic or "-"
        where = f"{self.topic}/{self.partition}"
        return where if self.offset is None else f"{where}@{self.offset}"


# an aggregate's head: its last aggseq, eventhash and where it was read
_Head = tuple[int, str, tuple[str, int, int]]
# an event id's first content (eventhash) and where it was read
_Seen = tuple[str, tuple[str, int, int]]


@dataclass
class VerifyResult:
    records: int = 0
    events: int = 0
    duplicates: int = 0
    skipped_injected: int = 0
    # records the official CloudEvents SDK read besides the strict check (see record.py)
    sdk_records: int = 0
    dead_letters: int = 0
    aggregates: int = 0
    checkpoints: int = 0
    checkpoint_terms: int = 0
    covered_records: int = 0
    uncovered_records: int = 0
    development_keys: bool = False
    topics: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    per_day: dict[str, dict[str, int]] = field(default_factory=dict)
    violations: list[Finding] = field(default_factory=list)
    notices: list[Finding] = field(default_factory=list)
    missing_topics: list[str] = field(default_factory=list)
    # What was read, to cite and to re-verify: per partition "topic/partition" -> [start, end)
    # offsets, and a fingerprint over (offset, eventhash) of every record read, per partition
    # (sha256 over the partitions' sha256 of their "offset:eventhash" lines, in offset order).
    snapshot: dict[str, list[int]] = field(default_factory=dict)
    fingerprint: str = ""
    verified_at: str = ""

    @property
    def clean(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["clean"] = self.clean
        return data


@dataclass
class _Checkpoint:
    data: dict[str, Any]
    location: tuple[str, int, int]
    event_id: str


def _public_keys(jwks: dict[str, Any]) -> dict[str, tuple[Ed25519PublicKey, str | None]]:
    keys: dict[str, tuple[Ed25519PublicKey, str | None]] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "kid" not in jwk:
            continue
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = (Ed25519PublicKey.from_public_bytes(raw), jwk.get("service"))
    return keys


def _day(days: int) -> str:
    return datetime.fromtimestamp(days * 86400, UTC).strftime("%Y-%m-%d")


class Verifier:
    """Feed records partition by partition (any interleaving of partitions), then finish."""

    def __init__(
        self,
        *,
        jwks: dict[str, Any],
        development_keys: bool = False,
        from_genesis: bool = True,
        exclude_injected: bool = False,
        window: Any = None,
        require_checkpoints: bool = False,
        sdk_every_record: bool = False,
    ) -> None:
        self.result = VerifyResult(development_keys=development_keys)
        self.validators = schema_validators()
        self.sdk = SdkReading(every_record=sdk_every_record)
        self.keys = _public_keys(jwks)
        self.from_genesis = from_genesis
        self.exclude_injected = exclude_injected
        self.window = window
        self.require_checkpoints = require_checkpoints
        # (source, subject) -> head: aggregate ids are unique per publishing service only
        self._heads: dict[tuple[str, str], _Head] = {}
        self._ids: dict[str, _Seen] = {}
        # (topic, partition) -> offset -> (eventhash, subject, aggseq) of every record read
        self._records: dict[tuple[str, int], dict[int, tuple[str, str, int]]] = defaultdict(dict)
        self._checkpoints: list[_Checkpoint] = []
        self._checkpoint_records: set[tuple[str, int, int]] = set()
        self._dead_letter = False
        # (topic, partition) -> sha256 of its "offset:eventhash" lines in the order read
        self._fingerprints: dict[tuple[str, int], Any] = {}
        self._topics: Counter[str] = Counter()
        # (days since the epoch, event type) -> events
        self._daily: Counter[tuple[int, str]] = Counter()

    # -- reporting -----------------------------------------------------------------------

    def _violation(
        self,
        check: str,
        reason: str,
        where: tuple[str, int, int] | None = None,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> None:
        topic, partition, offset = where if where else ("", None, None)
        finding = Finding(check, reason, topic, partition, offset, event_id, event_type)
        if self._dead_letter and check != "event_id":
            # A dead letter is often unreadable by nature: listed, not a violation of its own
            # (the original on its topic is checked there).
            self.result.notices.append(finding)
        else:
            self.result.violations.append(finding)

    def _notice(self, check: str, reason: str, where: tuple[str, int, int] | None = None) -> None:
        topic, partition, offset = where if where else ("", None, None)
        self.result.notices.append(Finding(check, reason, topic, partition, offset))

    # -- records -------------------------------------------------------------------------

    def feed(self, records: Iterable[RecordLike]) -> None:
        validators, sdk, account = self.validators, self.sdk, self.account
        for r in records:
            account(
                inspect_record(
                    r.topic,
                    r.partition,
                    r.offset,
                    r.key,
                    r.value,
                    r.headers,
                    r.timestamp,
                    validators,
                    sdk,
                )
            )

    def account(self, seen: Inspected) -> None:
        """Fold one inspected record into the log-wide checks (ids, chains, checkpoints)."""
        where = seen.where
        topic, partition, offset = where
        part = (topic, partition)
        result = self.result
        fingerprint = self._fingerprints.get(part)
        if fingerprint is None:
            fingerprint = self._fingerprints[part] = hashlib.sha256()
        fingerprint.update(b"%d:%s\n" % (offset, (seen.eventhash or "unreadable").encode()))
        result.records += 1
        if seen.sdk_read:
            result.sdk_records += 1
        self._topics[topic] += 1
        if self.exclude_injected and seen.injected:
            result.skipped_injected += 1
            return
        dead_letter = self._dead_letter = bool(seen.dead_letter)
        if dead_letter:
            result.dead_letters += 1
            self._notice("dead_letter", seen.dead_letter, where)
        for check, reason in seen.findings:
            self._violation(check, reason, where, seen.event_id, seen.event_type)
        event_id, eventhash = seen.event_id, seen.eventhash
        if eventhash is None or event_id is None:
            return
        event_type = seen.event_type or ""
        first = self._ids.get(event_id)
        if first is not None:
            if first[0] != eventhash:
                t, p, o = first[1]
                self._violation(
                    "event_id",
                    f"event id carries two different contents (also at {t}/{p}@{o})",
                    where,
                    event_id,
                    event_type,
                )
            else:
                result.duplicates += 1
                if not dead_letter:
                    # at-least-once: the relay's checkpoint vouches for the copy where it went
                    self._records[part][offset] = (eventhash, seen.subject, seen.aggseq)
            return
        if dead_letter:
            # A dead letter is a copy of an event that must also be on its topic; it takes
            # no part in the chains, and (read before its original, as DLQ partitions may be)
            # it does not stand for the original either.
            return
        self._ids[event_id] = (eventhash, where)
        result.events += 1
        self._daily[(seen.timestamp // 86_400_000, event_type)] += 1
        self._records[part][offset] = (eventhash, seen.subject, seen.aggseq)
        chain = (seen.source, seen.subject)
        head = self._heads.get(chain)
        if head is None or seen.aggseq != head[0] + 1 or seen.prevhash != head[1]:
            self._chain_broken(chain, head, seen.aggseq, seen.prevhash, where, event_id, event_type)
        self._heads[chain] = (seen.aggseq, eventhash, where)
        if event_type == CHECKPOINT_TYPE:
            self._checkpoint_records.add(where)
            if seen.checkpoint is not None:
                self._checkpoints.append(_Checkpoint(seen.checkpoint, where, event_id))

    def _chain_broken(
        self,
        chain: tuple[str, str],
        head: _Head | None,
        aggseq: int,
        prevhash: str,
        where: tuple[str, int, int],
        event_id: str,
        event_type: str,
    ) -> None:
        """An aggregate's first event read, or one that does not follow its head."""
        source, subject = chain
        if head is None:
            if self.from_genesis and (aggseq != 1 or prevhash != GENESIS_HASH):
                self._violation(
                    "chain",
                    f"aggregate {subject} of {source} starts at aggseq {aggseq}, expected 1 "
                    "from genesis (earlier events missing)",
                    where,
                    event_id,
                    event_type,
                )
            return
        seq, _, (t, p, o) = head
        if aggseq != seq + 1:
            self._violation(
                "chain",
                f"aggseq {aggseq} of aggregate {subject} follows {seq} (at {t}/{p}@{o}): "
                + ("records missing" if aggseq > seq + 1 else "out of order or replayed"),
                where,
                event_id,
                event_type,
            )
        else:
            self._violation(
                "chain",
                f"prevhash does not link to aggseq {seq} of aggregate {subject}",
                where,
                event_id,
                event_type,
            )

    # -- checkpoints ---------------------------------------------------------------------

    def _check_signature(self, cp: _Checkpoint) -> bool:
        data = cp.data
        key = self.keys.get(str(data.get("key_id")))
        if key is None:
            self._violation(
                "checkpoint_signature",
                f"checkpoint signed with unknown key {data.get('key_id')!r} "
                "(not in the published keys)",
                cp.location,
                cp.event_id,
            )
            return False
        public, service = key
        if service is not None and service != data.get("service"):
            self._violation(
                "checkpoint_signature",
                f"key {data.get('key_id')} belongs to {service}, not to {data.get('service')}",
                cp.location,
                cp.event_id,
            )
            return False
        signature = str(data.get("signature", ""))
        try:
            public.verify(
                base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                signing_bytes(data),
            )
        except (InvalidSignature, ValueError):
            self._violation(
                "checkpoint_signature",
                "checkpoint signature is not valid: forged or altered checkpoint",
                cp.location,
                cp.event_id,
            )
            return False
        return True

    def _check_checkpoints(self) -> dict[tuple[str, int], set[int]]:
        """Check every checkpoint; return the records they vouch for, per partition."""
        covered: dict[tuple[str, int], set[int]] = defaultdict(set)
        terms: dict[str, list[_Checkpoint]] = defaultdict(list)
        for cp in self._checkpoints:
            terms[str(cp.data["term_id"])].append(cp)
        self.result.checkpoints = len(self._checkpoints)
        self.result.checkpoint_terms = len(terms)
        for checkpoints in terms.values():
            running: dict[tuple[str, int], str] = {}
            for cp in sorted(checkpoints, key=lambda c: int(c.data["sequence"])):
                if not self._check_signature(cp):
                    continue
                heads: dict[str, tuple[int, str]] = {}
                heads_complete = True
                for segment in cp.data["partitions"]:
                    topic, partition = segment["topic"], int(segment["partition"])
                    offsets = [
                        o for first, last in segment["offsets"] for o in range(first, last + 1)
                    ]
                    key = (topic, partition)
                    if (
                        self.window is not None
                        and offsets
                        and not self.window.covers_range(topic, partition, offsets)
                    ):
                        end = self._end(topic, partition)
                        beyond = [o for o in offsets if end is not None and o >= end]
                        if beyond:
                            self._violation(
                                "checkpoint_tail",
                                f"checkpoint {cp.data['service']} #{cp.data['sequence']} vouches "
                                f"for {topic}/{partition} up to offset {max(offsets)}, but the "
                                f"partition ends at {end}: {len(beyond)} record(s) deleted",
                                (topic, partition, min(beyond)),
                                cp.event_id,
                            )
                        else:
                            self._notice(
                                "checkpoint_outside_window",
                                f"checkpoint {cp.data['service']} #{cp.data['sequence']} names "
                                f"records of {topic}/{partition} outside this read",
                                cp.location,
                            )
                        heads_complete = False
                        running[key] = segment["running_hash"]
                        continue
                    records = self._records.get(key, {})
                    value = running.get(key, GENESIS_HASH)
                    vouched = covered[key]
                    absent = []
                    for offset in offsets:
                        found = records.get(offset)
                        if found is None:
                            absent.append(offset)
                            value = fold(value, offset, "absent")
                            continue
                        value = fold(value, offset, found[0])
                        heads[found[1]] = (found[2], found[0])
                        vouched.add(offset)
                    running[key] = segment["running_hash"]
                    if absent:
                        self._violation(
                            "checkpoint_records",
                            f"checkpoint {cp.data['service']} #{cp.data['sequence']} vouches for "
                            f"offsets {absent[:5]} of {topic}/{partition}, which hold no valid "
                            "event: records deleted or replaced",
                            (topic, partition, absent[0]),
                            cp.event_id,
                        )
                    elif value != segment["running_hash"]:
                        self._violation(
                            "checkpoint_hash",
                            f"{topic}/{partition} offsets {offsets[0]}..{offsets[-1]} differ from "
                            f"what {cp.data['service']} vouched for in checkpoint "
                            f"#{cp.data['sequence']}: partition rewritten or reordered",
                            (topic, partition, offsets[0]),
                            cp.event_id,
                        )
                if heads_complete:
                    digest = heads_digest((a, s, h) for a, (s, h) in heads.items())
                    if digest != cp.data["heads_digest"] or len(heads) != cp.data["heads"]:
                        self._violation(
                            "checkpoint_heads",
                            f"aggregate heads differ from checkpoint {cp.data['service']} "
                            f"#{cp.data['sequence']} ({len(heads)} found, {cp.data['heads']} "
                            "vouched for): an aggregate was deleted or altered",
                            cp.location,
                            cp.event_id,
                        )
        return covered

    def _end(self, topic: str, partition: int) -> int | None:
        if self.window is None:
            return None
        for tp, end in self.window.end.items():
            if tp.topic == topic and tp.partition == partition:
                return int(end)
        return None

    def finish(self) -> VerifyResult:
        self._dead_letter = False  # what follows concerns the log, not the last record read
        for topic in self.result.missing_topics:
            self.result.violations.append(
                Finding("topic", f"topic {topic} does not exist on the cluster", topic)
            )
        self.result.verified_at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.window is not None:
            self.result.snapshot = {
                f"{tp.topic}/{tp.partition}": [int(self.window.start[tp]), int(end)]
                for tp, end in sorted(self.window.end.items())
            }
        self.result.fingerprint = hashlib.sha256(
            "\n".join(
                f"{t}/{p}:{h.hexdigest()}" for (t, p), h in sorted(self._fingerprints.items())
            ).encode()
        ).hexdigest()
        covered = self._check_checkpoints()
        checkpoint_offsets: dict[tuple[str, int], set[int]] = defaultdict(set)
        for topic, partition, offset in self._checkpoint_records:
            checkpoint_offsets[(topic, partition)].add(offset)
        first_uncovered: tuple[str, int, int] | None = None
        total = vouched_total = 0
        for part, offsets in self._records.items():
            data = offsets.keys() - checkpoint_offsets.get(part, set())
            vouched = len(data & covered.get(part, set()))
            total, vouched_total = total + len(data), vouched_total + vouched
            if first_uncovered is None and vouched < len(data):
                first_uncovered = (*part, min(data - covered.get(part, set())))
        self.result.covered_records = vouched_total
        self.result.uncovered_records = total - vouched_total
        if self.require_checkpoints and first_uncovered is not None:
            self._violation(
                "checkpoint_coverage",
                f"{self.result.uncovered_records} record(s) are vouched for by no relay checkpoint",
                first_uncovered,
            )
        self.result.aggregates = len(self._heads)
        types: Counter[str] = Counter()
        for (_, event_type), count in self._daily.items():
            types[event_type] += count
        self.result.types = dict(sorted(types.items()))
        self.result.topics = dict(sorted(self._topics.items()))
        per_day: dict[str, dict[str, int]] = defaultdict(dict)
        for (days, event_type), count in sorted(self._daily.items()):
            per_day[_day(days)][event_type] = count
        self.result.per_day = dict(per_day)
        return self.result


def summary_lines(result: VerifyResult) -> list[str]:
    lines = [
        f"verified at {result.verified_at}; log fingerprint {result.fingerprint[:16]}... over "
        f"{len(result.snapshot)} partitions (see --json for offsets)",
        f"records read: {result.records} ({result.events} events, {result.duplicates} "
        f"redelivered, {result.dead_letters} dead letters, {result.skipped_injected} "
        "test-injected left out)",
        f"CloudEvents: every record by the strict check; {result.sdk_records} also read by the "
        "official SDK",
        f"aggregates: {result.aggregates}; checkpoints: {result.checkpoints} in "
        f"{result.checkpoint_terms} relay terms; records vouched for by a checkpoint: "
        f"{result.covered_records}, by none: {result.uncovered_records}",
    ]
    if result.development_keys:
        lines.append("checkpoint keys: the repository's DEVELOPMENT key (pass --checkpoint-keys)")
    if result.missing_topics:
        lines.append(f"topics missing on the cluster: {', '.join(result.missing_topics)}")
    lines.append(
        "result: CLEAN" if result.clean else f"result: {len(result.violations)} VIOLATION(S)"
    )
    return lines


def dumps(result: VerifyResult) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False)
