"""Money on the wire: decimal strings with exactly two places, never floats.

Every event payload that carries money uses these types, so all topics agree on the format
(``"12.00"``, or ``{"amount": "12.00", "currency": "CNY"}`` where a currency travels with it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)

_CENT = Decimal("0.01")


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
    AfterValidator(_two_places),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{2}$"}),
]
"""A non-negative money amount with exactly two decimal places ("12.00") on the wire."""

Rate = Annotated[
    Decimal,
    AfterValidator(_rate),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^(0(\.\d+)?|1(\.0+)?)$"}),
]
"""A fraction between 0 and 1 as a decimal string ("0.0300" = 3 %)."""


def _signed_fen(value: Decimal) -> Decimal:
    if not value.is_finite() or value != value.quantize(_CENT):
        raise ValueError("amount must be finite with at most two decimal places")
    return value.quantize(_CENT)


SignedAmount = Annotated[
    Decimal,
    AfterValidator(_signed_fen),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]
"""A money amount that may be negative (capitalised interest, a balance owed back)."""


class Money(BaseModel):
    """An amount of money in a currency (CNY in the park)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Literal["CNY"] = "CNY"
