"""Money on catalog's wire (docs/CONVENTIONS.md, "The HTTP language"): always an object
``{"amount": "<decimal string, two places>", "currency": "CNY"}``, in requests and responses.

Requests take ``datapark_contracts.money.Money`` (a JSON number, a bare string, a third decimal
place or a negative amount is a 422 naming the field), or ``SignedMoney`` where an amount may be
negative. Responses declare ``MoneyOut`` (or ``SignedMoneyOut``: a write-down reversed, a
valuation below book value); both take the ``Decimal`` a row or a calculation holds, so a
response model is still built with ``model_validate(row)`` or from one service result.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

from datapark_contracts.money import Money, SignedMoney

__all__ = ["Money", "MoneyOut", "SignedMoney", "SignedMoneyOut", "amount_of"]


def _as_money(value: Any) -> Any:
    """A ``Decimal`` (a column, a computed figure) or a stored amount (a decimal string in a
    JSON document) becomes the object; the ``{"amount", "currency"}`` form passes through."""
    if isinstance(value, str):
        value = Decimal(value)
    if isinstance(value, Decimal):
        return {"amount": value, "currency": "CNY"}
    return value


MoneyOut = Annotated[Money, BeforeValidator(_as_money)]
"""A non-negative amount in a response, from a ``Decimal`` (or a stored decimal string)."""

SignedMoneyOut = Annotated[SignedMoney, BeforeValidator(_as_money)]
"""An amount in a response that may be negative, from a ``Decimal``."""


def amount_of(money: Money | None) -> Decimal | None:
    """The amount a request's Money carries (``None`` stays ``None``)."""
    return None if money is None else money.amount
