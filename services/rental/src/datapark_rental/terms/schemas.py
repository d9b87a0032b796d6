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

:data:`AmountOut` is the cheap form of :data:`MoneyOut` for bodies built many times per
request (a page of bookings): the model holds the row's ``Decimal`` itself (checked once: a
``Decimal`` or a decimal string with at most two places, finite, not negative; no ``Money``
model is built per field) and writes ``{"amount": "<2 places>", "currency": "CNY"}`` in one
serializer call, rounded to the fen as ``MoneyOut`` was. Its JSON Schema is the ``Money``
object's, so the OpenAPI document is the same as with ``MoneyOut``. Response bodies only:
requests take :class:`Money`. ``bench/booking_page_build.py`` times a page of bookings.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    GetCoreSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import CoreSchema, core_schema

from datapark_contracts.money import MONEY_PATTERN, Money, SignedMoney, to_fen

__all__ = ["AmountOut", "Money", "MoneyOut", "Ratio", "SignedMoneyOut"]

_MONEY = re.compile(MONEY_PATTERN)


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


def _money_object(amount: Decimal) -> dict[str, str]:
    written = str(amount)
    # A row's NUMERIC(16, 2) arrives with its two places: written as it is ("12.30"); anything
    # else (a computed figure, an exponent) is rounded to the fen first, as before.
    if written[-3:-2] != "." or "E" in written:
        written = str(to_fen(amount))
    return {"amount": written, "currency": "CNY"}


def _held_as_decimal(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Decimal:
    if isinstance(value, str) and _MONEY.fullmatch(value) is not None:
        value = Decimal(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value >= 0:
            return value
        raise ValueError("amount must be a finite number, not negative")
    money: Money = handler(value)  # the Money object, from JSON: anything else is refused
    return money.amount


class _HeldAsDecimal:
    """Validation and serialisation of :data:`AmountOut` (see the module's docstring). It
    takes a ``Decimal`` or a decimal string (a row, a rule's figure, a stored document) as it
    is, and anything else only as the ``Money`` object (a JSON number is refused); the inner
    ``Money`` schema gives the field its JSON Schema, a reference to ``Money`` as
    :data:`MoneyOut` has."""

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_wrap_validator_function(
            _held_as_decimal,
            handler.generate_schema(Money),
            serialization=core_schema.plain_serializer_function_ser_schema(_money_object),
        )


AmountOut = Annotated[Decimal, _HeldAsDecimal()]
"""A non-negative amount in a response, held as a ``Decimal``, written as a ``Money``."""

Ratio = Annotated[
    Decimal,
    PlainSerializer(lambda d: str(d), return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A rate or ratio as a decimal string."""
