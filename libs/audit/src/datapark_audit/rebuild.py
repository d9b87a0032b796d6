"""``rebuild``: the state of every aggregate as of a time, from the log alone; ``--compare``
diffs it with the services' current tables through the read-only role.

Every datapark event carries the whole aggregate as it stands after the fact (snapshot
events) or the fact with the figures after it (escrow movements, budget ledger entries, lease
payments), so the state of an aggregate is its events' data folded in order, later fields
over earlier ones (a fact that does not carry the whole lease, such as an installment falling
due, only moves the derived figures). On top of that the rebuild derives what an auditor asks
first: escrow per agreement (locked, claimed, released, refunded, remaining), budget use per
policy and participant, the lease book (financed principal, principal outstanding, fallen due
and unpaid per lease).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from datapark_audit.log import Event
from datapark_audit.settings import UsageError
from datapark_contracts.payloads import UnknownEventType, payload_model

SERVICES = ("catalog", "trading", "rental", "subsidy")
ZERO = Decimal("0.00")


def kind_of(event_type: str) -> str:
    """``datapark.rental.lease.activated.v1`` -> ``rental.lease``."""
    parts = event_type.split(".")
    return f"{parts[1]}.{parts[2]}" if len(parts) >= 5 else "unknown"


def money(value: Any) -> Decimal:
    """An ``Amount`` ("12.30") or a ``Money`` ({"amount": "12.30"}) as a Decimal."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class Aggregate:
    id: str
    kind: str
    aggseq: int = 0
    events: int = 0
    last_type: str = ""
    updated_at: str = ""
    eventhash: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "aggseq": self.aggseq,
            "events": self.events,
            "last_type": self.last_type,
            "updated_at": self.updated_at,
            "state": self.state,
            **({"derived": self.derived} if self.derived else {}),
        }


@dataclass
class State:
    as_of: datetime
    # (publishing service, aggregate id): ids are unique per service only (trading's account
    # of a participant has the participant's id)
    aggregates: dict[tuple[str, str], Aggregate] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Aggregate]:
        return [a for a in self.aggregates.values() if a.kind == kind]


def _escrow(aggregate: Aggregate, event: Event) -> None:
    fact = event.type.split(".")[3]
    if not fact.startswith("escrow_"):
        return
    locks = aggregate.derived.setdefault("escrow", {})
    lock = locks.setdefault(
        str(event.data.get("lock_id")),
        {"locked": "0.00", "claimed": "0.00", "released": "0.00", "refunded": "0.00"},
    )
    column = {"escrow_locked": "locked", "escrow_claimed": "claimed"}.get(
        fact, fact.removeprefix("escrow_")
    )
    if column in lock:
        lock[column] = str(money(lock[column]) + money(event.data.get("amount")))
    lock["remaining"] = str(money(event.data.get("lock_remaining")))


@functools.lru_cache(maxsize=512)
def _is_snapshot(event_type: str) -> bool:
    """Whether the event carries the whole aggregate (else it is a fact about it)."""
    try:
        model = payload_model(event_type)
    except UnknownEventType:
        return True
    return any(cls.__name__.endswith("Snapshot") for cls in model.__mro__) or not any(
        cls.__name__ == "_LeaseFact" for cls in model.__mro__
    )


def _lease(aggregate: Aggregate, event: Event) -> None:
    """A lease's balances: principal outstanding after the payments allocated to principal,
    and what fell due but is not paid yet."""
    if not event.type.startswith("datapark.rental.lease."):
        return
    fact = event.type.split(".")[3]
    derived = aggregate.derived
    data = event.data
    if fact == "payment_received":
        derived["paid"] = str(money(derived.get("paid")) + money(data.get("amount")))
        principal = sum(
            (
                money(a.get("amount"))
                for a in data.get("allocations", ())
                if a.get("component") == "principal"
            ),
            ZERO,
        )
        derived["principal_paid"] = str(money(derived.get("principal_paid")) + principal)
    elif fact == "installment_fell_due":
        derived["fallen_due"] = str(money(derived.get("fallen_due")) + money(data.get("amount")))
    elif fact == "installment_paid":
        derived["installments_paid"] = str(
            money(derived.get("installments_paid")) + money(data.get("amount"))
        )
    state = aggregate.state
    if "financed_principal" in state:
        financed = money(state["financed_principal"])
        derived["financed_principal"] = str(financed)
        derived["principal_outstanding"] = str(financed - money(derived.get("principal_paid")))
    derived["due_unpaid"] = str(
        money(derived.get("fallen_due")) - money(derived.get("installments_paid"))
    )


def rebuild(events: list[Event], *, as_of: datetime | None = None) -> State:
    """Fold every event up to ``as_of`` (inclusive) into its aggregate."""
    state = State(as_of=as_of or datetime.max.replace(tzinfo=UTC))
    for event in events:
        if as_of is not None and event.time > as_of:
            continue
        kind = kind_of(event.type)
        key = (kind.split(".")[0], event.subject)
        aggregate = state.aggregates.get(key)
        if aggregate is None:
            aggregate = Aggregate(event.subject, kind)
            state.aggregates[key] = aggregate
        aggregate.aggseq = max(aggregate.aggseq, event.aggseq)
        aggregate.events += 1
        aggregate.last_type = event.type
        aggregate.updated_at = event.time.isoformat()
        aggregate.eventhash = event.eventhash
        if _is_snapshot(event.type):
            aggregate.state.update(event.data)
        _escrow(aggregate, event)
        _lease(aggregate, event)
    return state


def budget_use(state: State) -> list[dict[str, Any]]:
    """Per budget row: policy, participant, period, cap, reserved, committed."""
    rows = []
    for budget in state.of_kind("subsidy.budget"):
        data = budget.state
        rows.append(
            {
                "budget_id": budget.id,
                "policy": data.get("policy"),
                "participant_id": data.get("participant_id"),
                "period": data.get("period"),
                "cap": str(money(data.get("cap"))),
                "reserved": str(money(data.get("reserved"))),
                "committed": str(money(data.get("committed"))),
            }
        )
    return sorted(rows, key=lambda r: (str(r["policy"]), str(r["participant_id"])))


def write(state: State, directory: Path) -> list[Path]:
    """One JSON lines file per aggregate kind, plus the derived budget use."""
    directory.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Aggregate]] = defaultdict(list)
    for aggregate in state.aggregates.values():
        by_kind[aggregate.kind].append(aggregate)
    written = []
    for kind, aggregates in sorted(by_kind.items()):
        path = directory / f"{kind}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for aggregate in sorted(aggregates, key=lambda a: a.id):
                handle.write(json.dumps(aggregate.to_json(), ensure_ascii=False, sort_keys=True))
                handle.write("\n")
        written.append(path)
    path = directory / "subsidy.budget_use.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in budget_use(state):
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    written.append(path)
    return written


def summary(state: State) -> list[str]:
    counts: dict[str, int] = defaultdict(int)
    for aggregate in state.aggregates.values():
        counts[aggregate.kind] += 1
    lines = [f"rebuilt {len(state.aggregates)} aggregates as of {state.as_of.isoformat()}"]
    lines += [f"  {kind}: {n}" for kind, n in sorted(counts.items())]
    return lines


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def compare(
    state: State, database_url: str, *, log_read_at: datetime | None = None
) -> list[str]:
    """Every difference between the rebuilt state and the services' current tables.

    Per service schema: each aggregate's chain head (``event_chain_heads``: last aggseq and
    hash) against the log's, except aggregates whose newer events still wait in the outbox or
    were published after the log was read (``log_read_at``): a live platform moves on;
    and, for each table with an ``id`` and a ``status`` or ``state`` column, that column of
    every row the log knows against the rebuilt one. Only SELECT is used.
    """
    import asyncpg

    try:
        conn = await asyncpg.connect(_dsn(database_url), timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise UsageError(
            f"cannot connect to the database given with --compare ({type(exc).__name__}: {exc})"
        ) from None
    mismatches: list[str] = []
    try:
        await conn.execute("SET default_transaction_read_only = on")
        for schema in SERVICES:
            has_heads = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = $1 AND table_name = 'event_chain_heads'",
                schema,
            )
            if not has_heads:
                continue
            pending = {
                row["subject"]
                for row in await conn.fetch(
                    f'SELECT DISTINCT subject FROM "{schema}".outbox '  # noqa: S608
                    "WHERE sent_at IS NULL OR sent_at >= $1",
                    log_read_at or datetime.now(UTC),
                )
            }
            heads = await conn.fetch(
                f'SELECT aggregate_id, last_seq, last_hash FROM "{schema}".event_chain_heads'  # noqa: S608
            )
            for row in heads:
                aggregate_id = str(row["aggregate_id"])
                if aggregate_id in pending:
                    continue
                rebuilt = state.aggregates.get((schema, aggregate_id))
                if rebuilt is None:
                    mismatches.append(
                        f"{schema}: aggregate {aggregate_id} is at aggseq {row['last_seq']} in "
                        "the database but has no event in the log"
                    )
                elif rebuilt.aggseq != row["last_seq"]:
                    mismatches.append(
                        f"{schema}: aggregate {aggregate_id} is at aggseq {row['last_seq']} in "
                        f"the database, at {rebuilt.aggseq} in the log"
                    )
                elif rebuilt.eventhash and rebuilt.eventhash != row["last_hash"]:
                    mismatches.append(
                        f"{schema}: aggregate {aggregate_id} has another history in the "
                        "database than in the log (head hashes differ)"
                    )
            mismatches += await _compare_status(conn, schema, state)
    except asyncpg.InsufficientPrivilegeError as exc:
        raise UsageError(
            f"the --compare role may not read everything it needs ({exc}); grant it "
            "datapark_audit_reader"
        ) from None
    finally:
        await conn.close()
    return mismatches


async def _compare_status(conn: Any, schema: str, state: State) -> list[str]:
    found: list[str] = []
    columns = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = $1 AND column_name IN ('id', 'status', 'state')",
        schema,
    )
    tables: dict[str, set[str]] = defaultdict(set)
    for row in columns:
        tables[row["table_name"]].add(row["column_name"])
    for table, names in sorted(tables.items()):
        if "id" not in names or not ({"status", "state"} & names):
            continue
        column = "status" if "status" in names else "state"
        query = f'SELECT id::text AS id, "{column}"::text AS v FROM "{schema}"."{table}"'  # noqa: S608
        rows = await conn.fetch(query)
        for row in rows:
            rebuilt = state.aggregates.get((schema, row["id"]))
            if rebuilt is None:
                continue
            expected = rebuilt.state.get(column)
            if expected is not None and str(expected) != row["v"]:
                found.append(
                    f"{schema}.{table}: {row['id']} has {column} {row['v']!r} in the database, "
                    f"{expected!r} in the log"
                )
    return found
