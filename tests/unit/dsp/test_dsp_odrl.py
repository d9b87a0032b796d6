"""ODRL both ways: trading's terms survive the round trip; every clause an offer may carry maps
to one clause of the usage policy or the price; anything unenforceable is refused whole."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.trading import Terms
from datapark_trading.dsp import messages as m
from datapark_trading.dsp.odrl import DATAPARK, policy_of, terms_of
from datapark_trading.dsp.service import DspService


def terms(**policy: Any) -> Terms:
    return Terms.model_validate(
        {
            "pricing": {"kind": "fixed", "price": {"amount": "900.00", "currency": "CNY"}},
            "policy": {
                "purpose": "credit scoring",
                "permitted_uses": ["analytics", "model_training"],
                "territory": ["CN-BJ", "CN-SH"],
                "duration_seconds": 180 * 24 * 3600,
                **policy,
            },
        }
    )


def offer(*constraints: dict[str, Any], **rules: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@id": "urn:datapark:offer:x",
        "@type": "Offer",
        "permission": [{"action": "use", "constraint": list(constraints)}],
    }
    body.update(rules)
    return body


def c(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"max_calls": 5000, "max_records": 100000, "on_delisting": "terminate"},
        {"onward_transfer": True, "on_delisting": "suspend"},
    ],
)
def test_terms_survive_the_round_trip(policy: dict[str, Any]) -> None:
    original = terms(**policy)
    as_odrl = policy_of(original, policy_id="urn:x", kind="Offer")
    # the base is different on purpose: every clause must come from the ODRL policy itself
    assert terms_of(as_odrl, terms(purpose="other", territory=["CN"])) == original


def test_metered_and_subscription_prices_survive_the_round_trip() -> None:
    metered = Terms.model_validate(
        {
            "pricing": {
                "kind": "metered",
                "unit": "call",
                "unit_price": "0.05",
                "budget": {"amount": "500.00", "currency": "CNY"},
                "monthly_cap": {"amount": "200.00", "currency": "CNY"},
            },
            "policy": terms().policy.model_dump(mode="json"),
        }
    )
    assert terms_of(policy_of(metered, policy_id="u", kind="Offer"), metered) == metered
    data = terms().model_dump(mode="json")
    data["pricing"] = {
        "kind": "subscription",
        "price_per_period": {"amount": "300.00", "currency": "CNY"},
        "period_months": 3,
        "periods": 4,
    }
    subscription = Terms.model_validate(data)
    assert terms_of(policy_of(subscription, policy_id="u", kind="Offer"), subscription) == (
        subscription
    )


def test_an_offer_without_constraints_keeps_the_terms_it_refers_to() -> None:
    base = terms()
    assert terms_of({"@id": "o", "permission": [{"action": "use", "constraint": []}]}, base) == base


def test_named_clauses_replace_those_of_the_base_in_any_json_ld_form() -> None:
    asked = terms_of(
        offer(
            c("odrl:purpose", "odrl:eq", {"@value": "fraud detection"}),
            c("http://www.w3.org/ns/odrl/2/spatial", "isAnyOf", ["CN-GD"]),
            c("count", "lteq", "10"),
            c("elapsedTime", "lteq", "P30D"),
            c("datapark:permittedUse", "isAnyOf", ["analytics"]),
        ),
        terms(),
    )
    assert asked.policy.purpose == "fraud detection"
    assert asked.policy.territory == ("CN-GD",)
    assert asked.policy.max_calls == 10
    assert asked.policy.duration_seconds == 30 * 24 * 3600
    assert asked.policy.permitted_uses == ("analytics",)


def test_a_price_in_the_compensate_duty_is_the_price_asked() -> None:
    duty = {"action": "compensate", "constraint": [c("payAmount", "eq", "750.00")]}
    asked = terms_of(offer(obligation=[duty]), terms())
    assert asked.pricing.kind == "fixed"
    assert str(asked.pricing.price.amount) == "750.00"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (offer(c("dateTime", "lteq", "2030-01-01")), "dateTime lteq"),
        (offer({"or": [c("spatial", "eq", "CN")]}), "logical constraints"),
        (offer(c("purpose", "neq", "ads")), "purpose neq"),
        ({"@id": "o", "permission": [{"action": "print"}]}, "'print'"),
        (offer(prohibition=[{"action": "use"}]), "prohibition of 'use'"),
        (offer(obligation=[{"action": "attribute"}]), "duty to 'attribute'"),
        (
            offer(
                obligation=[
                    {"action": "compensate", "constraint": [c(DATAPARK + "currency", "eq", "USD")]}
                ]
            ),
            "CNY only",
        ),
        (offer(c("count", "lteq", "many")), "whole number"),
        (offer(c("count", "lteq", "0")), "between 1 and"),
        (offer(c("count", "lteq", str(2**31))), "between 1 and"),
        (offer(c("elapsedTime", "lteq", "P4000D")), "ten years"),
        (offer(c("elapsedTime", "lteq", "P1Y")), "xsd:duration"),
        (
            offer(
                obligation=[{"action": "compensate", "constraint": [c("payAmount", "eq", "0.001")]}]
            ),
            "whole cents",
        ),
        (
            offer(
                obligation=[{"action": "compensate", "constraint": [c("payAmount", "eq", "1E+20")]}]
            ),
            "whole cents",
        ),
        (
            offer(
                obligation=[{"action": "compensate", "constraint": [c("payAmount", "eq", "NaN")]}]
            ),
            "whole cents",
        ),
        (
            {"@id": "o", "permission": [{"action": "use", "duty": [{"action": "notify"}]}]},
            "duties and refinements",
        ),
    ],
)
def test_what_cannot_be_enforced_is_refused_whole(body: dict[str, Any], says: str) -> None:
    with pytest.raises(m.DspError) as refused:
        terms_of(body, terms())
    assert refused.value.code == "policy_not_enforceable"
    assert says in refused.value.detail


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json_ld"),
        (b"[]", "malformed_json_ld"),
        (json.dumps({"@type": "ContractRequestMessage"}).encode(), "malformed_json_ld"),
        (
            json.dumps({"@context": [m.CONTEXT], "@type": "TransferRequestMessage"}).encode(),
            "unknown_type",
        ),
    ],
)
def test_messages_without_the_dsp_context_or_of_another_type_are_refused(
    body: bytes, code: str
) -> None:
    with pytest.raises(m.DspError) as refused:
        m.parse(body, "ContractRequestMessage")
    assert refused.value.code == code


def test_a_message_in_the_dsp_context_is_read() -> None:
    body = {"@context": m.CONTEXT, "@type": "dspace:ContractRequestMessage", "consumerPid": "c1"}
    assert m.parse(json.dumps(body).encode(), "ContractRequestMessage")["consumerPid"] == "c1"


@pytest.mark.parametrize(
    "address",
    ["http://datapark.example/cb", "https://127.0.0.1/cb", "https://10.2.3.4/cb", "https://[::1]/"],
)
async def test_counter_party_addresses_are_public_https_outside_development(address: str) -> None:
    service = DspService(cast(AsyncSession, None), public_callbacks_only=True)
    with pytest.raises(m.DspError) as refused:
        await service.check_address(address, "callbackAddress")
    assert refused.value.code == "address_not_public"


async def test_loopback_callbacks_are_fine_in_development_and_test() -> None:
    service = DspService(cast(AsyncSession, None), public_callbacks_only=False)
    assert await service.check_address("http://127.0.0.1:8083/", "callbackAddress") == (
        "http://127.0.0.1:8083"
    )
    with pytest.raises(m.DspError):
        await service.check_address("ftp://127.0.0.1/", "callbackAddress")
