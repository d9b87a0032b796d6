"""Response models of the policies: each policy and every dated parameter, with its source."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

from datapark_subsidy.terms.parameters import Parameter, ParameterSet, render_value
from datapark_subsidy.terms.policies import POLICIES

_RATE: JsonDict = {
    "name": "beijing_financing_lease.rate",
    "description": "The support rate.",
    "reference": ["北京: 对符合条件的关键机器人设备等融资租赁项目，按照不超过5%的费率予以支持"],
    "unit": "/1",
    "values": [{"effective_from": "2025-01-01", "value": "0.05"}],
}
_POLICY: JsonDict = {
    "code": "beijing_financing_lease",
    "title": "Beijing robot financing-lease support",
    "source_text": "对符合条件的关键机器人设备等融资租赁项目，按照不超过5%的费率予以支持，"
    "企业年度补贴额最高1000万元",
    "region": "beijing",
    "kind": "lease",
    "cap_scope": "company_year",
    "cap_parameter": "beijing_financing_lease.annual_cap",
}


class DatedValueOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"effective_from": "2025-01-01", "value": "0.05"}]},
    )

    effective_from: date
    value: str | None
    """``None``: the parameter is not in force from this date."""


class ParameterOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RATE]})

    name: str
    description: str
    reference: list[str]
    unit: str
    values: list[DatedValueOut]

    @classmethod
    def of(cls, parameter: Parameter) -> ParameterOut:
        return cls(
            name=parameter.name,
            description=parameter.description,
            reference=list(parameter.references),
            unit=parameter.unit,
            values=[
                DatedValueOut(
                    effective_from=v.effective_from,
                    value=None if v.value is None else render_value(v.value),
                )
                for v in parameter.values
            ],
        )


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_POLICY]})

    code: str
    title: str
    source_text: str
    region: str
    kind: str
    cap_scope: str
    cap_parameter: str


class PoliciesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": "sha256:cd3380df2863e52ba53e8e9900b207137a3b9bdf1"
                    "4eff0bb3af6a5a158067d2f",
                    "policies": [_POLICY],
                    "parameters": [_RATE],
                }
            ]
        }
    )

    version: str
    """sha256 over the parameter files: recorded with every claim."""
    policies: list[PolicyOut]
    parameters: list[ParameterOut]

    @classmethod
    def of(cls, params: ParameterSet) -> PoliciesOut:
        """The catalogue of policies and the parameters loaded at start."""
        return cls(
            version=params.version,
            policies=[PolicyOut.model_validate(p) for p in POLICIES.values()],
            parameters=[ParameterOut.of(p) for p in params],
        )
