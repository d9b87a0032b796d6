"""Verify the tamper-evident chain of one aggregate's events, as an auditor would."""

from __future__ import annotations

from collections.abc import Iterable

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope


def verify_chain(events: Iterable[Envelope], *, from_genesis: bool = True) -> list[str]:
    """Problems found in one aggregate's events given in log order (empty when intact).

    Duplicates (the same id redelivered) are tolerated: at-least-once delivery allows them.
    With ``from_genesis=False`` the first event may continue an earlier part of the chain (a
    replay that starts at a point in time); every later link is still checked.
    """
    problems: list[str] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    first = True
    seen: dict[str, str] = {}
    for event in events:
        if str(event.id) in seen:
            if seen[str(event.id)] != event.eventhash:
                problems.append(f"{event.id}: redelivered with another hash")
            continue
        seen[str(event.id)] = event.eventhash
        if first and not from_genesis:
            expected_seq, expected_prev = event.aggseq, event.prevhash
        first = False
        if not event.hash_is_valid():
            problems.append(f"{event.id}: eventhash does not match its content")
        if event.aggseq != expected_seq:
            problems.append(f"{event.id}: aggseq {event.aggseq}, expected {expected_seq}")
        if event.prevhash != expected_prev:
            problems.append(f"{event.id}: prevhash does not link to the previous event")
        expected_seq, expected_prev = event.aggseq + 1, event.eventhash
    return problems
