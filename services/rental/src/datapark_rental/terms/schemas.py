"""Wire types shared by rental's request and response bodies (docs/CONVENTIONS.md "The HTTP
language"): money is ``{"amount": "<2 places>", "currency": "CNY"}`` both ways, rates are
decimal strings.

Requests take :class:`MoneyIn` (``datapark_contracts.money.Money``: a non-negative amount in a
JSON string with at most two places; a JSON number is a 422 naming the field). Responses give
:class:`Money`, whose amount may be negative where the figure is signed: the principal of a
seasonal installment that capitalises interest, or a settlement the lessor owes back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema, model_validator

from datapark_contracts.money import Money as MoneyIn
from datapark_contracts.money import SignedAmount, to_fen

__all__ = ["Money", "MoneyIn", "Ratio", "money_in"]


class Money(BaseModel):
    """An amount in CNY: a decimal string with exactly two places and its currency."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={"examples": [{"amount": "12500.00", "currency": "CNY"}]},
    )

    amount: SignedAmount
    currency: Literal["CNY"] = "CNY"

    @model_validator(mode="before")
    @classmethod
    def _of_amount(cls, value: Any) -> Any:
        """A bare amount (the ``Decimal`` of a column or a rule, or the decimal string of a
        stored document) is an amount in CNY; computed figures are already rounded to the fen,
        so ``to_fen`` only guards the two places on the wire."""
        if isinstance(value, Decimal):
            return {"amount": to_fen(value)}
        if isinstance(value, str):
            return {"amount": value}
        return value


def money_in(amount: str) -> MoneyIn:
    """A request amount in CNY (a field's default, an example)."""
    return MoneyIn(amount=Decimal(amount))


Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A rate or ratio as a decimal string."""
