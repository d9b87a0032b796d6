"""Application-based policies (Fujian cluster and park): the reviewer's amount, checked.

An operator applies with its designation and documents' hashes; a reviewer sets the amount
within the policy's maximum per designation, which is a dated parameter.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from datapark_kit.errors import Unprocessable
from datapark_subsidy.facts import Entitlement, Explanation, Lessee, ReasonCode, cite, money
from datapark_subsidy.policies.catalog import POLICIES, PolicyCode, PolicyKind, region_of
from datapark_subsidy.policies.parameters import ParameterSet, Reading

# --------------------------------------------------------------------------- applications


def application_entitlement(
    policy_code: PolicyCode,
    applicant: Lessee,
    designation_id: str,
    applied_on: date,
    amount: Decimal,
    params: ParameterSet,
) -> Entitlement:
    """The reviewer's amount for a Fujian application, checked against the maximum.

    The operator must be registered (or declare it operates) in Fujian; the amount must be
    positive, in fen, and within ``<policy>.max_per_designation`` in force on ``applied_on``.
    """
    policy = POLICIES[policy_code]
    if policy.kind is not PolicyKind.APPLICATION:
        raise Unprocessable(f"{policy_code.value} is not granted by application", field="policy")
    if applicant.kind != "company":
        raise Unprocessable(
            "only a company operating a designated cluster or park may apply",
            field="participant_id",
            code=ReasonCode.NOT_A_COMPANY.value,
        )
    steps: list[str] = []
    readings: list[Reading] = []
    for code in (applicant.region_code, applicant.operating_region_code):
        if code is None:
            continue
        region, reading = region_of(code, params, applied_on)
        if region is policy.region and reading is not None:
            steps.append(
                f"applicant {applicant.participant_id} is in {code}, in "
                f"{region.value}: {cite(reading)}"
            )
            readings.append(reading)
            break
    else:
        raise Unprocessable(
            f"applicant is neither registered nor operating in {policy.region.value}",
            field="participant_id",
            code=ReasonCode.REGION_NOT_COVERED.value,
        )
    maximum, max_reading = params.decimal(policy.cap_parameter, applied_on)
    if amount != money(amount) or amount <= 0:
        raise Unprocessable("amount must be a positive sum in fen", field="amount")
    if amount > maximum:
        raise Unprocessable(
            f"amount {amount} exceeds the maximum {maximum} per designation "
            f"({policy.cap_parameter})",
            field="amount",
            code="above_maximum",
        )
    steps += [
        f"designation {designation_id}, applied on {applied_on.isoformat()}",
        f"reviewer set {money(amount)}, within the maximum {money(maximum)} [{cite(max_reading)}]",
    ]
    explanation = Explanation(policy.code, params.version, tuple(steps), (*readings, max_reading))
    return Entitlement(
        policy.code,
        applicant.participant_id,
        None,
        f"designation:{designation_id}",
        applied_on,
        money(amount),
        explanation,
    )
