"""Terms and agreements between the domain values and their wire and stored forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from datapark_contracts.events import trading as wire
from datapark_contracts.money import Money as WireMoney
from datapark_trading.agreements.models import AgreementRow
from datapark_trading.terms.agreement import Agreement, Origin, Terms
from datapark_trading.terms.money import Money
from datapark_trading.terms.parties import Party, Termination
from datapark_trading.terms.policy import DelistingClause, UsagePolicy
from datapark_trading.terms.pricing import FixedPrice, Metered, MeterUnit, Pricing, Subscription


def _money(m: Money) -> WireMoney:
    return WireMoney(amount=m.amount, currency="CNY")


def _domain_money(m: WireMoney) -> Money:
    return Money(m.amount, m.currency)


def pricing_to_wire(p: Pricing) -> wire.FixedTerms | wire.SubscriptionTerms | wire.MeteredTerms:
    if isinstance(p, FixedPrice):
        return wire.FixedTerms(price=_money(p.price))
    if isinstance(p, Subscription):
        return wire.SubscriptionTerms(
            price_per_period=_money(p.price_per_period),
            period_months=p.period_months,
            periods=p.periods,
        )
    return wire.MeteredTerms(
        unit=p.unit.value,
        unit_price=p.unit_price,
        budget=_money(p.budget),
        monthly_cap=None if p.monthly_cap is None else WireMoney(amount=p.monthly_cap),
    )


def pricing_from_wire(p: wire.FixedTerms | wire.SubscriptionTerms | wire.MeteredTerms) -> Pricing:
    if isinstance(p, wire.FixedTerms):
        return FixedPrice(_domain_money(p.price))
    if isinstance(p, wire.SubscriptionTerms):
        return Subscription(_domain_money(p.price_per_period), p.period_months, p.periods)
    return Metered(
        unit=MeterUnit(p.unit),
        unit_price=p.unit_price,
        budget=_domain_money(p.budget),
        monthly_cap=None if p.monthly_cap is None else p.monthly_cap.amount,
    )


def policy_to_wire(p: UsagePolicy) -> wire.UsagePolicy:
    return wire.UsagePolicy(
        purpose=p.purpose,
        permitted_uses=tuple(sorted(p.permitted_uses)),
        territory=tuple(sorted(p.territory)),
        duration_seconds=int(p.duration.total_seconds()),
        max_calls=p.max_calls,
        max_records=p.max_records,
        onward_transfer=p.onward_transfer,
        on_delisting=p.on_delisting.value,
    )


def policy_from_wire(p: wire.UsagePolicy) -> UsagePolicy:
    return UsagePolicy(
        purpose=p.purpose,
        permitted_uses=frozenset(p.permitted_uses),
        territory=frozenset(p.territory),
        duration=timedelta(seconds=p.duration_seconds),
        max_calls=p.max_calls,
        max_records=p.max_records,
        onward_transfer=p.onward_transfer,
        on_delisting=DelistingClause(p.on_delisting),
    )


def terms_to_wire(t: Terms) -> wire.Terms:
    return wire.Terms(pricing=pricing_to_wire(t.pricing), policy=policy_to_wire(t.policy))


def terms_from_wire(t: wire.Terms) -> Terms:
    return Terms(pricing=pricing_from_wire(t.pricing), policy=policy_from_wire(t.policy))


def terms_to_json(t: Terms) -> dict[str, Any]:
    return terms_to_wire(t).model_dump(mode="json")


def terms_from_json(data: dict[str, Any]) -> Terms:
    return terms_from_wire(wire.Terms.model_validate(data))


def agreement_value(row: AgreementRow) -> Agreement:
    termination = None
    if row.termination_reason is not None and row.terminated_at is not None:
        termination = Termination(
            reason=row.termination_reason,
            at=row.terminated_at,
            by=None if row.terminated_by is None else Party(row.terminated_by),
        )
    return Agreement(
        id=row.id,
        listing_id=row.listing_id,
        provider_id=row.provider_id,
        consumer_id=row.consumer_id,
        terms=terms_from_json(row.terms),
        origin=Origin(row.origin),
        origin_id=row.origin_id,
        concluded_at=row.concluded_at,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        amends=row.amends,
        superseded_by=row.superseded_by,
        termination=termination,
    )
