"""``GET /v1/policies``: the policies and every dated parameter, with their sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from datapark_kit.auth import CurrentPrincipal
from datapark_subsidy.policies.catalog import POLICIES
from datapark_subsidy.policies.parameters import ParameterSet, render_value


def _parameters(request: Request) -> ParameterSet:
    params: ParameterSet = request.app.state.parameters
    return params


ParametersDep = Annotated[ParameterSet, Depends(_parameters)]
"""The policy parameters loaded (and validated) when the service started."""

router = APIRouter(prefix="/v1/policies", tags=["policies"])


class DatedValueOut(BaseModel):
    effective_from: date
    value: str | None
    """``None``: the parameter is not in force from this date."""


class ParameterOut(BaseModel):
    name: str
    description: str
    reference: list[str]
    unit: str
    values: list[DatedValueOut]


class PolicyOut(BaseModel):
    code: str
    title: str
    source_text: str
    region: str
    kind: str
    cap_scope: str
    cap_parameter: str


class PoliciesOut(BaseModel):
    version: str
    """sha256 over the parameter files: recorded with every claim."""
    policies: list[PolicyOut]
    parameters: list[ParameterOut]


@router.get("", response_model=PoliciesOut)
async def list_policies(params: ParametersDep, principal: CurrentPrincipal) -> PoliciesOut:
    """Every policy and its dated parameters, each with the policy text or source it comes from."""
    return PoliciesOut(
        version=params.version,
        policies=[
            PolicyOut(
                code=p.code.value,
                title=p.title,
                source_text=p.source_text,
                region=p.region.value,
                kind=p.kind.value,
                cap_scope=p.cap_scope.value,
                cap_parameter=p.cap_parameter,
            )
            for p in POLICIES.values()
        ],
        parameters=[
            ParameterOut(
                name=p.name,
                description=p.description,
                reference=list(p.references),
                unit=p.unit,
                values=[
                    DatedValueOut(
                        effective_from=v.effective_from,
                        value=None if v.value is None else render_value(v.value),
                    )
                    for v in p.values
                ],
            )
            for p in params
        ],
    )
