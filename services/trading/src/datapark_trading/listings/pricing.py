"""The pricing of an order at a listing's own price terms, and how long such an order runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from datapark_kit.errors import Unprocessable
from datapark_trading.problems import TradingProblem
from datapark_trading.terms.money import Money
from datapark_trading.terms.pricing import FixedPrice, Metered, MeterUnit, Pricing, Subscription

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
UNITS = {"call": MeterUnit.CALL, "record": MeterUnit.RECORD, "mb": MeterUnit.MEGABYTE}


def order_pricing(
    price_terms: dict[str, Any], *, periods: int | None, budget: Decimal | None
) -> Pricing:
    """The pricing of an order at the listing's own terms (a negotiable listing takes none)."""
    kind = price_terms.get("kind")
    if kind == "fixed":
        return FixedPrice(Money(Decimal(price_terms["price"]["amount"])))
    if kind == "subscription":
        return Subscription(
            Money(Decimal(price_terms["price_per_period"]["amount"])),
            period_months=PERIOD_MONTHS[price_terms["period"]],
            periods=periods or 1,
        )
    if kind == "metered":
        if budget is None:
            raise Unprocessable("a metered order names the budget to lock", field="budget")
        cap = price_terms.get("monthly_maximum")
        return Metered(
            unit=UNITS[price_terms["unit"]],
            unit_price=Decimal(price_terms["unit_price"]["amount"]),
            budget=Money(budget),
            monthly_cap=None if cap is None else Decimal(cap["amount"]),
        )
    raise Unprocessable(
        "this listing trades by negotiation only: open a negotiation",
        field="listing_id",
        code=TradingProblem.NEGOTIATION_REQUIRED,
    )


def default_duration(pricing: Pricing, at: datetime) -> timedelta:
    """A subscription runs its periods; anything else a year unless the order says otherwise."""
    if isinstance(pricing, Subscription):
        return pricing.end(at) - at
    return timedelta(days=365)
