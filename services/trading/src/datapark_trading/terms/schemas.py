"""The terms of a trade as the HTTP API speaks them (docs/CONVENTIONS.md "The HTTP language").

Money is a Money object there, a metered unit price too: ``{"amount": "0.005", "currency":
"CNY"}``, its amount a decimal string that may have more than two places (a call may cost less
than a fen; what is charged is rounded to the fen). The events keep their versioned shape
(``datapark_contracts.events.trading.Terms``: ``unit_price`` a bare decimal string beside
``currency``); ``Terms.to_wire`` and ``Terms.of_wire`` map between the two at the HTTP edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    PlainSerializer,
    Tag,
    WithJsonSchema,
)

from datapark_contracts.events import trading as wire
from datapark_contracts.events.trading import FixedTerms, SubscriptionTerms, UsagePolicy
from datapark_contracts.money import Money, strict_decimal
from datapark_kit.schemas import RequestModel


def _unit_amount(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("a unit price is a finite amount, zero or more")
    return value


UnitAmount = Annotated[
    Decimal,
    BeforeValidator(strict_decimal),
    AfterValidator(_unit_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$"}),
]


class UnitPrice(RequestModel):
    """The price of one unit of metered use: Money whose amount may have more places."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"amount": "0.005", "currency": "CNY"}]},
    )

    amount: UnitAmount
    currency: Literal["CNY"] = "CNY"


_METERED: dict[str, Any] = {
    "kind": "metered",
    "unit": "call",
    "unit_price": {"amount": "0.005", "currency": "CNY"},
    "budget": {"amount": "500.00", "currency": "CNY"},
    "monthly_cap": {"amount": "100.00", "currency": "CNY"},
}


class MeteredTerms(RequestModel):
    """Pay per unit used, from a budget locked in escrow, at most ``monthly_cap`` a month."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [_METERED]}
    )

    kind: Literal["metered"] = "metered"
    unit: Literal["call", "record", "megabyte"]
    unit_price: UnitPrice
    budget: Money
    monthly_cap: Money | None = None


def _kind(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


# Chosen by ``kind`` (a callable discriminator: the request models' own validators run on it).
PricingTerms = Annotated[
    Annotated[FixedTerms, Tag("fixed")]
    | Annotated[SubscriptionTerms, Tag("subscription")]
    | Annotated[MeteredTerms, Tag("metered")],
    Discriminator(_kind),
]

TERMS_EXAMPLE: dict[str, Any] = {
    "pricing": {"kind": "fixed", "price": {"amount": "600.00", "currency": "CNY"}},
    "policy": {
        "purpose": "credit scoring model training",
        "permitted_uses": ["analysis", "model_training"],
        "territory": ["CN"],
        "duration_seconds": 31536000,
        "max_calls": None,
        "max_records": None,
        "onward_transfer": False,
        "on_delisting": "continue",
    },
}
"""A year's use of a data product for a fixed 600.00 CNY (the examples of the trading API)."""


class Terms(RequestModel):
    """Price terms and usage policy, as sent and shown."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [TERMS_EXAMPLE, {**TERMS_EXAMPLE, "pricing": _METERED}]},
    )

    pricing: PricingTerms
    policy: UsagePolicy

    def to_wire(self) -> wire.Terms:
        """The terms in the events' shape (what the services and the stored rows read)."""
        pricing = self.pricing
        if not isinstance(pricing, MeteredTerms):
            return wire.Terms(pricing=pricing, policy=self.policy)
        return wire.Terms(
            pricing=wire.MeteredTerms(
                unit=pricing.unit,
                unit_price=pricing.unit_price.amount,
                currency=pricing.unit_price.currency,
                budget=pricing.budget,
                monthly_cap=pricing.monthly_cap,
            ),
            policy=self.policy,
        )

    @classmethod
    def of_wire(cls, terms: wire.Terms | Mapping[str, Any]) -> Terms:
        """The terms from the events' shape (a model, or its JSON as stored)."""
        if not isinstance(terms, wire.Terms):
            terms = wire.Terms.model_validate(terms)
        pricing = terms.pricing
        if not isinstance(pricing, wire.MeteredTerms):
            return cls(pricing=pricing, policy=terms.policy)
        return cls(
            pricing=MeteredTerms(
                unit=pricing.unit,
                unit_price=UnitPrice(amount=pricing.unit_price, currency=pricing.currency),
                budget=pricing.budget,
                monthly_cap=pricing.monthly_cap,
            ),
            policy=terms.policy,
        )
