"""The escrow ledger in memory: append-only, every posting checked, balances derived from the
entries alone. The property tests drive it; the service keeps the same ledger in Postgres."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from datapark_kit.errors import Conflict
from datapark_trading.settlement.ledger import Account, Entry, Transaction, check
from datapark_trading.terms.money import ZERO


def balances_of(entries: Iterable[Entry]) -> dict[Account, Decimal]:
    """Every account's balance, derived from the entries alone."""
    totals: dict[Account, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        totals[entry.account] += entry.amount
    return dict(totals)


class Ledger:
    """An append-only ledger in memory: postings are checked, balances derived from entries."""

    def __init__(self) -> None:
        self._transactions: list[Transaction] = []

    @property
    def transactions(self) -> tuple[Transaction, ...]:
        return tuple(self._transactions)

    def entries(self) -> Iterable[Entry]:
        for tx in self._transactions:
            yield from tx.entries

    def balances(self) -> dict[Account, Decimal]:
        return balances_of(self.entries())

    def balance(self, account: Account) -> Decimal:
        return sum((e.amount for e in self.entries() if e.account == account), ZERO)

    def post(self, tx: Transaction | None) -> None:
        """Append ``tx`` if every account it touches stays within its rules."""
        if tx is None:
            return
        if any(t.id == tx.id for t in self._transactions):
            raise Conflict(f"transaction {tx.id} was already posted", code="duplicate_transaction")
        check(self.balances(), tx)
        self._transactions.append(tx)
