"""Money as the venue books it: ``Decimal`` amounts in one currency, two places, 四舍五入
(``datapark_contracts.money.to_fen``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CURRENCIES = frozenset({"CNY"})


def require_cents(amount: Decimal, *, field: str) -> Decimal:
    """Accept an amount only if it is finite and already whole cents (nothing lost silently)."""
    if not amount.is_finite() or amount != to_fen(amount):
        raise Unprocessable(f"{field} must be a decimal with at most two places", field=field)
    return to_fen(amount)


def require_positive(amount: Decimal, *, field: str) -> Decimal:
    """Accept a strictly positive amount in whole cents."""
    value = require_cents(amount, field=field)
    if value <= 0:
        raise Unprocessable(f"{field} must be greater than zero", field=field)
    return value


def require_currency(currency: str, *, field: str = "currency") -> str:
    if currency not in CURRENCIES:
        raise Unprocessable(f"unsupported currency {currency!r}", field=field)
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in whole cents of one currency."""

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        require_currency(self.currency)
        require_cents(self.amount, field="amount")

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"
