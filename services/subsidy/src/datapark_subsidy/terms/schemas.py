"""Shapes shared by subsidy's HTTP bodies: money on the wire, the explanation of a figure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict

from datapark_contracts.money import Amount, SignedAmount
from datapark_subsidy.terms.assessment import Explanation
from datapark_subsidy.terms.parameters import Reading


class _Cny(BaseModel):
    """An amount in CNY; each kind of money below says which amounts it takes."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: Literal["CNY"] = "CNY"

    @classmethod
    def of(cls, amount: Decimal) -> Self:
        return cls(amount=amount)


class Money(_Cny):
    """An amount in CNY: a decimal string with two places on the wire."""

    amount: Amount


class SignedMoney(_Cny):
    """A difference of money in CNY, which may be negative: ``{"amount": "-2400.00", ...}``."""

    amount: SignedAmount


def readings_document(readings: Iterable[Reading]) -> list[dict[str, str]]:
    """The stored (JSON) form of the dated parameter values a computation read."""
    return [
        {
            "parameter": r.parameter,
            "value": r.render(),
            "effective_from": r.effective_from.isoformat(),
            "unit": r.unit,
        }
        for r in readings
    ]


def explanation_document(explanation: Explanation) -> dict[str, Any]:
    """The stored (JSON) form of an explanation."""
    return {
        "policy": explanation.policy.value,
        "policy_version": explanation.policy_version,
        "steps": list(explanation.steps),
        "readings": readings_document(explanation.readings),
    }


class ParameterReadingOut(BaseModel):
    parameter: str
    value: str
    effective_from: date
    unit: str


class ExplanationOut(BaseModel):
    """How a claim's figure was computed: numbered steps, the dated values read, the version."""

    policy_version: str
    steps: list[str]
    parameters: list[ParameterReadingOut]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ExplanationOut:
        steps = [f"{i}. {s}" for i, s in enumerate(doc.get("steps", []), start=1)]
        return cls(
            policy_version=doc["policy_version"],
            steps=steps,
            parameters=[ParameterReadingOut.model_validate(r) for r in doc.get("readings", [])],
        )
