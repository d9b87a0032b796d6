"""Money helpers shared by the rental rules: input checks (rounding to the fen is
``datapark_contracts.money.to_fen``).

Every amount is a :class:`~decimal.Decimal` in CNY; a rule that produces money rounds it to
the fen (0.01) half-up (四舍五入) at the step the rule names, never earlier, never later.
"""

from __future__ import annotations

from decimal import Decimal

from datapark_kit.errors import Unprocessable

CURRENCY = "CNY"
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# Money columns are NUMERIC(16, 2): at most 14 digits before the point.
MAX_AMOUNT = Decimal("99999999999999.99")


def require_money(amount: Decimal, field: str, *, positive: bool = False) -> Decimal:
    """Accept a finite amount that fits the money columns, with at most two decimal places,
    non-negative (or positive)."""
    if not amount.is_finite():
        raise Unprocessable(f"{field} must be a finite amount", field=field)
    if amount < 0 or (positive and amount == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise Unprocessable(f"{field} must be {bound}", field=field)
    if amount > MAX_AMOUNT:  # before quantizing: a huge value overflows the decimal context
        raise Unprocessable(f"{field} must be at most {MAX_AMOUNT}", field=field)
    if amount != amount.quantize(FEN):
        raise Unprocessable(f"{field} must have at most two decimal places", field=field)
    return amount.quantize(FEN)


def require_currency(currency: str, field: str = "currency") -> None:
    """Only CNY is accepted; another currency is refused, never converted."""
    if currency != CURRENCY:
        raise Unprocessable(f"{field} must be {CURRENCY}, got {currency!r}", field=field)
