"""Subsidy policies as data: dated parameters in YAML, the policy catalogue, regions."""

from datapark_subsidy.policies.catalog import (
    LEASE_POLICIES,
    POLICIES,
    CapScope,
    Policy,
    PolicyCode,
    PolicyKind,
    Region,
    region_of,
)
from datapark_subsidy.policies.parameters import (
    Parameter,
    ParameterError,
    ParameterNotInForce,
    ParameterSet,
    Reading,
    load_parameters,
    parse_parameter,
)

__all__ = [
    "LEASE_POLICIES",
    "POLICIES",
    "CapScope",
    "Parameter",
    "ParameterError",
    "ParameterNotInForce",
    "ParameterSet",
    "Policy",
    "PolicyCode",
    "PolicyKind",
    "Reading",
    "Region",
    "load_parameters",
    "parse_parameter",
    "region_of",
]
