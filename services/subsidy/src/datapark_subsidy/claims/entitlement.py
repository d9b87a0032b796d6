"""Application-based policies (Fujian cluster and park): the reviewer's amount, checked.

An operator applies under a designation on record (``designations``) with its documents'
hashes; a reviewer sets the amount within the policy's maximum per designation, a dated
parameter read on the designation date. The maximum belongs to the designation: every
applicant under it draws on one shared budget.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from datapark_contracts.money import to_fen
from datapark_kit.errors import Unprocessable
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.terms.assessment import (
    Designation,
    Entitlement,
    Explanation,
    Lessee,
    cite,
)
from datapark_subsidy.terms.parameters import ParameterSet, Reading
from datapark_subsidy.terms.policies import POLICIES, PolicyCode, PolicyKind, region_of

# --------------------------------------------------------------------------- applications


def application_entitlement(
    policy_code: PolicyCode,
    applicant: Lessee,
    designation: Designation,
    applied_on: date,
    amount: Decimal,
    params: ParameterSet,
) -> Entitlement:
    """The reviewer's amount for a Fujian application, checked against the maximum.

    The designation must be of the policy's kind (a cluster for the cluster policy, a park for
    the park policy) and made on or before ``applied_on``; the operator must be registered (or
    declare it operates) in Fujian; the amount must be positive, in fen, and within
    ``<policy>.max_per_designation`` in force on the designation date.
    """
    policy = POLICIES[policy_code]
    if policy.kind is not PolicyKind.APPLICATION:
        raise Unprocessable(f"{policy_code.value} is not granted by application", field="policy")
    wanted = "cluster" if policy_code is PolicyCode.FUJIAN_DATA_CLUSTER else "park"
    if designation.kind != wanted:
        raise Unprocessable(
            f"designation {designation.designation_id} is a {designation.kind}; "
            f"{policy_code.value} supports a designated {wanted}",
            field="designation_id",
            code=SubsidyProblem.DESIGNATION_KIND_MISMATCH,
        )
    if applied_on < designation.designated_on:
        raise Unprocessable(
            f"applied on {applied_on.isoformat()}, before the designation of "
            f"{designation.designated_on.isoformat()}",
            field="applied_on",
            code=SubsidyProblem.NOT_DESIGNATED,
        )
    if applicant.kind != "company":
        raise Unprocessable(
            "only a company operating a designated cluster or park may apply",
            field="participant_id",
            code=SubsidyProblem.NOT_A_COMPANY,
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
            code=SubsidyProblem.REGION_NOT_COVERED,
        )
    maximum, max_reading = params.decimal(policy.cap_parameter, designation.designated_on)
    if amount != to_fen(amount) or amount <= 0:
        raise Unprocessable("amount must be a positive sum in fen", field="amount")
    if amount > maximum:
        raise Unprocessable(
            f"amount {amount} exceeds the maximum {maximum} per designation "
            f"({policy.cap_parameter})",
            field="amount",
            code=SubsidyProblem.ABOVE_MAXIMUM,
        )
    steps += [
        f"designation {designation.designation_id} ({designation.kind} {designation.name!r}, "
        f"{designation.region_code}, designated {designation.designated_on.isoformat()}); "
        f"applied on {applied_on.isoformat()}",
        f"amount requested {to_fen(amount)}, within the maximum {to_fen(maximum)} per "
        f"designation [{cite(max_reading)}]; every applicant under the designation shares it",
    ]
    explanation = Explanation(policy.code, params.version, tuple(steps), (*readings, max_reading))
    return Entitlement(
        policy.code,
        applicant.participant_id,
        None,
        f"designation:{designation.designation_id}",
        applied_on,
        to_fen(amount),
        explanation,
    )
