"""Money and rate parsing shared by catalog's rules: Decimal, two places; computed amounts
round with ``datapark_contracts.money.to_fen`` (half-up).

Input money must already be exact to the fen: a third decimal place is refused rather than
silently rounded, because a price the owner did not type must never be published.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from datapark_kit.errors import Unprocessable

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Money columns are NUMERIC(18, 2): at most 16 digits before the point.
MAX_AMOUNT = Decimal("9999999999999999.99")


def money_json(amount: Decimal | None) -> dict[str, str] | None:
    """An amount in the JSON form of price terms and rate cards: ``{"amount", "currency"}``."""
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": "CNY"}


def parse_money(
    value: Decimal | str | int,
    field: str,
    *,
    allow_zero: bool = True,
    allow_negative: bool = False,
) -> Decimal:
    """Validate an input amount: finite, not negative, fits the money columns, at most two
    decimal places.

    Raises ``Unprocessable`` naming ``field``; returns the amount quantized to two places.
    ``allow_negative`` serves projections (a first year's net income may be a loss), never
    prices.
    """
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise Unprocessable(f"{field} is not a number", field=field) from None
    if not amount.is_finite():
        raise Unprocessable(f"{field} must be a finite amount", field=field)
    if amount < 0 and not allow_negative:
        raise Unprocessable(f"{field} must not be negative", field=field)
    if not allow_zero and amount == 0:
        raise Unprocessable(f"{field} must be greater than zero", field=field)
    if abs(amount) > MAX_AMOUNT:  # before quantizing: a huge value overflows the context
        raise Unprocessable(f"{field} must be at most {MAX_AMOUNT} in size", field=field)
    if amount != amount.quantize(CENT):
        raise Unprocessable(f"{field} must have at most two decimal places", field=field)
    return amount.quantize(CENT)


def parse_rate(
    value: Decimal | str | int,
    field: str,
    *,
    minimum: Decimal = Decimal(0),
    maximum: Decimal | None = Decimal(1),
) -> Decimal:
    """Validate a rate or factor (a finite Decimal within ``[minimum, maximum]``)."""
    try:
        rate = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise Unprocessable(f"{field} is not a number", field=field) from None
    if not rate.is_finite():
        raise Unprocessable(f"{field} must be a finite number", field=field)
    if rate < minimum or (maximum is not None and rate > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise Unprocessable(f"{field} must be {bound}", field=field)
    return rate
