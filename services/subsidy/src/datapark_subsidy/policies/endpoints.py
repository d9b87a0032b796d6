"""``GET /v1/policies``: the policies and every dated parameter, with their sources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from datapark_kit.auth import CurrentPrincipal
from datapark_subsidy.policies.schemas import PoliciesOut
from datapark_subsidy.terms.parameters import ParameterSet


def _parameters(request: Request) -> ParameterSet:
    params: ParameterSet = request.app.state.parameters
    return params


ParametersDep = Annotated[ParameterSet, Depends(_parameters)]
"""The policy parameters loaded (and validated) when the service started."""

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", response_model=PoliciesOut)
async def list_policies(params: ParametersDep, principal: CurrentPrincipal) -> PoliciesOut:
    """Every policy and its dated parameters, each with the policy text or source it comes from."""
    return PoliciesOut.of(params)
