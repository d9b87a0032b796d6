"""Wire types shared by rental's request and response bodies (docs/CONVENTIONS.md "The HTTP
language"): money is ``{"amount": "<2 places>", "currency": "CNY"}`` both ways, rates are
decimal strings.

Requests take :class:`Money` (``datapark_contracts.money.Money``: a non-negative amount in a
JSON string with at most two places; a JSON number, a bare string or another currency is a 422
naming the field). Responses declare :data:`MoneyOut`, or :data:`SignedMoneyOut` where the
figure may be negative as in the events (a seasonal installment's principal that capitalises
interest, a balance, an invoice or a settlement owed back); both are the shared contract
classes, built from the ``Decimal`` a row or a rule holds (or the decimal string of a stored
document), so a response model is still made with ``model_validate(row)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from datapark_contracts.money import Money, SignedMoney, to_fen

__all__ = ["Money", "MoneyOut", "Ratio", "SignedMoneyOut"]


def _as_money(value: Any) -> Any:
    """A bare amount is an amount in CNY. Computed figures are already rounded to the fen;
    ``to_fen`` only guards the two places on the wire."""
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal):
        return {"amount": to_fen(value), "currency": "CNY"}
    return value


MoneyOut = Annotated[Money, BeforeValidator(_as_money)]
"""A non-negative amount in a response."""

SignedMoneyOut = Annotated[SignedMoney, BeforeValidator(_as_money)]
"""An amount in a response that may be negative."""

Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A rate or ratio as a decimal string."""
