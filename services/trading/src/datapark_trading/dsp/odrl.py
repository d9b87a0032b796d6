"""ODRL policies (as DSP 2025-1 carries them) mapped both ways to trading's terms.

Outgoing: the terms of a catalog offer or an agreement become one ``use`` permission with its
constraints, a ``distribute`` prohibition (or permission) for onward transfer, and a
``compensate`` duty with the price. Incoming: the constraints a connector puts in an offer
replace the named clauses of the terms it refers to; anything the platform cannot enforce (an
unknown action, left operand or operator, a logical constraint, a refinement) is refused whole
with the protocol's error, never dropped. The table in docs/dataspace.md lists every mapping.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from datapark_contracts.events.trading import Terms as WireTerms
from datapark_kit.errors import ProblemError
from datapark_trading.agreements.codec import terms_from_wire
from datapark_trading.dsp.messages import DspError
from datapark_trading.problems import TradingProblem

ODRL = "http://www.w3.org/ns/odrl/2/"
DATAPARK = "https://w3id.org/datapark/odrl/"
UNENFORCEABLE = "policy_not_enforceable"
INT_MAX = 2**31 - 1
MAX_SECONDS = 3660 * 24 * 3600
MAX_AMOUNT = Decimal("1000000000000")
_DURATION = re.compile(r"^P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12})S)?)?$")


def _term(value: Any) -> str:
    """An ODRL term in any of the forms JSON-LD allows: compact, prefixed or a full IRI."""
    if isinstance(value, dict):
        value = value.get("@id", value.get("@value"))
    if not isinstance(value, str):
        raise DspError(f"{value!r} is not an ODRL term", code=UNENFORCEABLE)
    for prefix in (ODRL, "odrl:"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    if value.startswith("datapark:"):
        return DATAPARK + value[len("datapark:") :]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and "@value" in value:
        return value["@value"]
    if isinstance(value, dict) and "@id" in value:
        return value["@id"]
    return value


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def duration_text(seconds: int) -> str:
    return f"PT{seconds}S"


def _seconds(text: Any) -> int:
    match = _DURATION.match(str(text))
    if match is None or not any(match.groups()):
        raise DspError(f"elapsedTime {text!r} is not an xsd:duration", code=UNENFORCEABLE)
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total > MAX_SECONDS:
        raise DspError(f"elapsedTime {text!r} is longer than ten years", code=UNENFORCEABLE)
    return total


def policy_of(terms: WireTerms, *, policy_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    """``terms`` as an ODRL ``Offer`` or ``Agreement`` (compact, DSP context)."""
    p = terms.policy
    use = [
        _constraint("purpose", "eq", p.purpose),
        _constraint(DATAPARK + "permittedUse", "isAnyOf", sorted(p.permitted_uses)),
        _constraint("spatial", "isAnyOf", sorted(p.territory)),
        _constraint("elapsedTime", "lteq", duration_text(p.duration_seconds)),
        _constraint(DATAPARK + "onDelisting", "eq", p.on_delisting),
    ]
    if p.max_calls is not None:
        use.append(_constraint("count", "lteq", str(p.max_calls)))
    if p.max_records is not None:
        use.append(_constraint(DATAPARK + "maxRecords", "lteq", str(p.max_records)))
    pricing = terms.pricing
    price: list[dict[str, Any]] = [
        _constraint(DATAPARK + "pricing", "eq", pricing.kind),
        _constraint(DATAPARK + "currency", "eq", "CNY"),
    ]
    if pricing.kind == "fixed":
        price.append(_constraint("payAmount", "eq", str(pricing.price.amount)))
    elif pricing.kind == "subscription":
        price += [
            _constraint("payAmount", "eq", str(pricing.price_per_period.amount)),
            _constraint(DATAPARK + "periodMonths", "eq", str(pricing.period_months)),
            _constraint(DATAPARK + "periods", "eq", str(pricing.periods)),
        ]
    else:
        price += [
            _constraint("payAmount", "eq", str(pricing.unit_price)),
            _constraint(DATAPARK + "meterUnit", "eq", pricing.unit),
            _constraint(DATAPARK + "budget", "eq", str(pricing.budget.amount)),
        ]
        if pricing.monthly_cap is not None:
            price.append(
                _constraint(DATAPARK + "monthlyCap", "eq", str(pricing.monthly_cap.amount))
            )
    policy: dict[str, Any] = {"@id": policy_id, "@type": kind}
    policy.update(extra)
    policy["permission"] = [{"action": "use", "constraint": use}]
    if p.onward_transfer:
        policy["permission"].append({"action": "distribute"})
    else:
        policy["prohibition"] = [{"action": "distribute"}]
    policy["obligation"] = [{"action": "compensate", "constraint": price}]
    return policy


def _list(rule: dict[str, Any], name: str) -> list[Any]:
    value = rule.get(name, [])
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise DspError(f"{name} is not a list", code=TradingProblem.INVALID_FIELD)
    return value


def _atomic(constraint: Any) -> tuple[str, str, Any]:
    if not isinstance(constraint, dict):
        raise DspError("a constraint is an object", code=UNENFORCEABLE)
    for logical in ("and", "or", "xone", "andSequence"):
        if logical in constraint:
            raise DspError(
                f"logical constraints ({logical}) cannot be enforced", code=UNENFORCEABLE
            )
    for needed in ("leftOperand", "operator", "rightOperand"):
        if needed not in constraint:
            raise DspError(f"a constraint has no {needed}", code=UNENFORCEABLE)
    return (
        _term(constraint["leftOperand"]),
        _term(constraint["operator"]),
        _plain(constraint["rightOperand"]),
    )


def _values(right: Any) -> list[str]:
    items = right if isinstance(right, list) else [right]
    return [str(_plain(item)) for item in items]


def _number(right: Any, name: str) -> int:
    """A whole number the platform can count to (an integer column)."""
    try:
        value = int(str(right))
    except ValueError:
        raise DspError(f"{name} {right!r} is not a whole number", code=UNENFORCEABLE) from None
    if not 0 < value <= INT_MAX:
        raise DspError(f"{name} must be between 1 and {INT_MAX}", code=UNENFORCEABLE)
    return value


def _amount(right: Any, name: str) -> str:
    """An amount of yuan: positive, whole cents, below a trillion."""
    try:
        amount = Decimal(str(right))
    except InvalidOperation:
        raise DspError(f"{name} {right!r} is not an amount", code=UNENFORCEABLE) from None
    exponent = amount.as_tuple().exponent
    if (
        not amount.is_finite()
        or not isinstance(exponent, int)
        or exponent < -2
        or not Decimal(0) < amount < MAX_AMOUNT
    ):
        raise DspError(
            f"{name} {right!r} is not a positive amount in whole cents", code=UNENFORCEABLE
        )
    return str(amount.quantize(Decimal("0.01")))


# (left operand, operator) pairs the platform enforces, each to the clause it sets
USE_OPERANDS = {
    ("purpose", "eq"),
    (DATAPARK + "permittedUse", "isAnyOf"),
    (DATAPARK + "permittedUse", "eq"),
    ("spatial", "isAnyOf"),
    ("spatial", "eq"),
    ("elapsedTime", "lteq"),
    ("elapsedTime", "eq"),
    ("count", "lteq"),
    (DATAPARK + "maxRecords", "lteq"),
    (DATAPARK + "onDelisting", "eq"),
}
PRICE_OPERANDS = {
    "payAmount",
    DATAPARK + "pricing",
    DATAPARK + "currency",
    DATAPARK + "periodMonths",
    DATAPARK + "periods",
    DATAPARK + "meterUnit",
    DATAPARK + "budget",
    DATAPARK + "monthlyCap",
}


def _apply_use(policy: dict[str, Any], left: str, operator: str, right: Any) -> None:
    if (left, operator) not in USE_OPERANDS:
        raise DspError(
            f"constraint {left} {operator} cannot be enforced on a use permission",
            code=UNENFORCEABLE,
        )
    if left == "purpose":
        policy["purpose"] = str(right)
    elif left == DATAPARK + "permittedUse":
        policy["permitted_uses"] = _values(right)
    elif left == "spatial":
        policy["territory"] = _values(right)
    elif left == "elapsedTime":
        policy["duration_seconds"] = _seconds(right)
    elif left == "count":
        policy["max_calls"] = _number(right, "count")
    elif left == DATAPARK + "maxRecords":
        policy["max_records"] = _number(right, "maxRecords")
    else:
        policy["on_delisting"] = str(right)


def _apply_price(pricing: dict[str, Any], left: str, operator: str, right: Any) -> None:
    if left not in PRICE_OPERANDS or operator != "eq":
        raise DspError(
            f"constraint {left} {operator} cannot be enforced on the compensate duty",
            code=UNENFORCEABLE,
        )
    kind = pricing.get("kind")
    if left == DATAPARK + "pricing":
        if right != kind:
            raise DspError(
                f"pricing {right!r} differs from the offer's {kind!r}: ask for a new offer",
                code=UNENFORCEABLE,
            )
    elif left == DATAPARK + "currency":
        if right != "CNY":
            raise DspError("trades on datapark settle in CNY only", code=UNENFORCEABLE)
    elif left == "payAmount":
        amount = _amount(right, "payAmount")
        if kind == "fixed":
            pricing["price"] = {"amount": amount, "currency": "CNY"}
        elif kind == "subscription":
            pricing["price_per_period"] = {"amount": amount, "currency": "CNY"}
        else:
            pricing["unit_price"] = amount
    elif left == DATAPARK + "periodMonths":
        pricing["period_months"] = _number(right, "periodMonths")
    elif left == DATAPARK + "periods":
        pricing["periods"] = _number(right, "periods")
    elif left == DATAPARK + "meterUnit":
        pricing["unit"] = str(right)
    elif left == DATAPARK + "budget":
        pricing["budget"] = {"amount": _amount(right, "budget"), "currency": "CNY"}
    else:
        pricing["monthly_cap"] = {"amount": _amount(right, "monthlyCap"), "currency": "CNY"}


def terms_of(offer: dict[str, Any], base: WireTerms) -> WireTerms:
    """The terms an incoming ODRL offer asks for: ``base`` (the offer it refers to, or the
    negotiation's current terms) with every clause the offer names replaced. Refused whole
    (400, ``policy_not_enforceable``) when any part cannot be enforced."""
    data = base.model_dump(mode="json")
    policy, pricing = data["policy"], data["pricing"]
    onward: bool | None = None
    for rule in _list(offer, "permission"):
        if not isinstance(rule, dict):
            raise DspError("a permission is an object", code=UNENFORCEABLE)
        if "duty" in rule or "refinement" in rule:
            raise DspError(
                "duties and refinements on a permission cannot be enforced", code=UNENFORCEABLE
            )
        action = _term(rule.get("action"))
        constraints = _list(rule, "constraint")
        if action == "use":
            for constraint in constraints:
                _apply_use(policy, *_atomic(constraint))
        elif action == "distribute" and not constraints:
            onward = True
        else:
            raise DspError(f"permission to {action!r} cannot be enforced", code=UNENFORCEABLE)
    for rule in _list(offer, "prohibition"):
        barred = _term(rule.get("action")) if isinstance(rule, dict) else None
        if barred != "distribute" or _list(rule, "constraint"):
            raise DspError(f"prohibition of {barred!r} cannot be enforced", code=UNENFORCEABLE)
        onward = False
    for rule in _list(offer, "obligation"):
        duty = _term(rule.get("action")) if isinstance(rule, dict) else None
        if duty != "compensate":
            raise DspError(f"a duty to {duty!r} cannot be enforced", code=UNENFORCEABLE)
        for constraint in _list(rule, "constraint"):
            _apply_price(pricing, *_atomic(constraint))
    if onward is not None:
        policy["onward_transfer"] = onward
    try:
        terms = WireTerms.model_validate(data)
        terms_from_wire(terms)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DspError(
            f"the offer's terms are invalid at {where}: {first['msg']}", code=UNENFORCEABLE
        ) from None
    except ProblemError as exc:
        raise DspError(f"the offer's terms are invalid: {exc.detail}", code=UNENFORCEABLE) from None
    return terms
