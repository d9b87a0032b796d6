"""Money on the wire: decimal strings with exactly two places, never floats.

Every event payload that carries money uses these types, so all topics agree on the format
(``"12.00"``, or ``{"amount": "12.00", "currency": "CNY"}`` where a currency travels with it).

What is accepted as input is strict, the same everywhere: ASCII digits, at most one point and
(for money) at most two places, nothing else. Python's ``Decimal`` would also take ``"1E2"``,
``"1_000"``, ``" 1.00 "``, full-width ``"１２"`` or Arabic-Indic ``"١٢"``, and JSON numbers
arrive as binary floats; all of those are refused. ``Decimal`` objects built in Python pass.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)

_CENT = Decimal("0.01")

MONEY_PATTERN = r"^[0-9]{1,20}(\.[0-9]{1,2})?$"
"""Money as accepted on input: ASCII digits, an optional point and at most two places."""
SIGNED_MONEY_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,2})?$"
DECIMAL_PATTERN = r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$"
"""Any other decimal (a rate, a quantity): ASCII digits, an optional sign and point."""
_MONEY = re.compile(MONEY_PATTERN)
_SIGNED_MONEY = re.compile(SIGNED_MONEY_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)


def to_fen(amount: Decimal) -> Decimal:
    """Round a computed amount to the fen (0.01), half-up (四舍五入): the one rounding every
    money rule in datapark ends with, at the step the rule names."""
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def strict_decimal(value: Any, pattern: re.Pattern[str] = _DECIMAL, what: str = "a decimal") -> Any:
    """Refuse anything but a ``Decimal`` object or a string matching ``pattern`` (``fullmatch``:
    ``$`` alone would let a trailing newline through). Returns the value unchanged."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        if pattern.fullmatch(value) is None:
            raise ValueError(f"must be {what} written with ASCII digits and at most one point")
        return value
    if isinstance(value, int | float):
        raise ValueError(f'must be {what} in a JSON string ("12.00"), not a JSON number')
    raise ValueError(f"must be {what} in a JSON string")


def strict_money(value: Any) -> Any:
    return strict_decimal(value, _MONEY, "an amount (at most two places)")


def strict_signed_money(value: Any) -> Any:
    return strict_decimal(value, _SIGNED_MONEY, "an amount (at most two places)")


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if value < 0:
        raise ValueError("amount must not be negative")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(_CENT):
        raise ValueError("amount must have at most two decimal places")
    return value.quantize(_CENT)


def _rate(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > 1:
        raise ValueError("rate must be between 0 and 1")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(strict_money),
    AfterValidator(_two_places),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{2}$"}),
]
"""A non-negative money amount with exactly two decimal places ("12.00") on the wire."""

Rate = Annotated[
    Decimal,
    BeforeValidator(strict_decimal),
    AfterValidator(_rate),
    # Fixed-point (never "1E-7"), so what one service writes the others read back.
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^(0(\.\d+)?|1(\.0+)?)$"}),
]
"""A fraction between 0 and 1 as a decimal string ("0.0300" = 3 %)."""


def _signed_fen(value: Decimal) -> Decimal:
    if not value.is_finite() or value != value.quantize(_CENT):
        raise ValueError("amount must be finite with at most two decimal places")
    return value.quantize(_CENT)


SignedAmount = Annotated[
    Decimal,
    BeforeValidator(strict_signed_money),
    AfterValidator(_signed_fen),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]
"""A money amount that may be negative (capitalised interest, a balance owed back)."""


MoneyInput = Annotated[
    Decimal,
    BeforeValidator(strict_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
"""An amount a client sends where no two-place rounding applies (a query's price bound)."""


class Money(BaseModel):
    """An amount of money in a currency (CNY in the park)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Literal["CNY"] = "CNY"


class SignedMoney(BaseModel):
    """An amount of money that may be negative (a period's loss, a write-down reversed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: SignedAmount
    currency: Literal["CNY"] = "CNY"
