"""Shared builders for trading's unit tests: terms, policies, agreements at fixed times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from datapark_trading.terms.agreement import Agreement, Origin, Terms, conclude
from datapark_trading.terms.money import Money
from datapark_trading.terms.policy import DelistingClause, UsagePolicy
from datapark_trading.terms.pricing import FixedPrice, Pricing

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROVIDER_ID = UUID("00000000-0000-7000-8000-00000000000a")
CONSUMER_ID = UUID("00000000-0000-7000-8000-00000000000b")
LISTING_ID = UUID("00000000-0000-7000-8000-0000000000c1")


def make_policy(**overrides: object) -> UsagePolicy:
    values: dict[str, object] = {
        "purpose": "credit risk modelling",
        "permitted_uses": frozenset({"analytics", "model_training"}),
        "territory": frozenset({"CN"}),
        "duration": timedelta(days=365),
        "max_calls": None,
        "max_records": None,
        "onward_transfer": False,
        "on_delisting": DelistingClause.CONTINUE,
    }
    values.update(overrides)
    return UsagePolicy(**values)  # type: ignore[arg-type]


def make_terms(price: str = "1000.00", pricing: Pricing | None = None, **policy: object) -> Terms:
    return Terms(pricing=pricing or FixedPrice(Money(Decimal(price))), policy=make_policy(**policy))


def make_agreement(terms: Terms | None = None, at: datetime = T0) -> Agreement:
    return conclude(
        agreement_id=uuid4(),
        listing_id=LISTING_ID,
        provider_id=PROVIDER_ID,
        consumer_id=CONSUMER_ID,
        terms=terms or make_terms(),
        origin=Origin.ORDER,
        origin_id=uuid4(),
        at=at,
    )


MakePolicy = Callable[..., UsagePolicy]
MakeTerms = Callable[..., Terms]
MakeAgreement = Callable[..., Agreement]


@pytest.fixture(name="make_policy")
def make_policy_fixture() -> MakePolicy:
    return make_policy


@pytest.fixture(name="make_terms")
def make_terms_fixture() -> MakeTerms:
    return make_terms


@pytest.fixture(name="make_agreement")
def make_agreement_fixture() -> MakeAgreement:
    return make_agreement


@pytest.fixture
def terms() -> Terms:
    return make_terms()


@pytest.fixture
def agreement() -> Agreement:
    return make_agreement()
