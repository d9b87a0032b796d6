"""The subsidy policies the platform implements, and the regions they belong to.

What a policy *is* (who qualifies, how the amount is computed) is code in
``claims/eligibility.py`` and ``claims/entitlement.py``; every number and list it uses is a dated
parameter (``terms/parameters.py``), so a policy change is data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from datapark_subsidy.terms.parameters import ParameterSet, Reading


class Region(StrEnum):
    """A region with its own subsidy policies; its division codes: ``regions.<region>``."""

    BEIJING = "beijing"
    XIONGAN = "xiongan"
    FUJIAN = "fujian"


class PolicyCode(StrEnum):
    BEIJING_FINANCING_LEASE = "beijing_financing_lease"
    XIONGAN_ROBOT_LEASING = "xiongan_robot_leasing"
    FUJIAN_DATA_CLUSTER = "fujian_data_cluster"
    FUJIAN_DATA_PARK = "fujian_data_park"


class PolicyKind(StrEnum):
    LEASE = "lease"
    """Entitlements appear by themselves from rental events."""
    APPLICATION = "application"
    """An operator applies; a reviewer sets the amount within the maximum."""


class CapScope(StrEnum):
    COMPANY_YEAR = "company_year"
    """One budget per company and calendar year."""
    DESIGNATION = "designation"
    """One budget per company and designation (a designated cluster or park)."""


@dataclass(frozen=True, slots=True)
class Policy:
    code: PolicyCode
    title: str
    source_text: str
    region: Region
    kind: PolicyKind
    cap_scope: CapScope
    cap_parameter: str

    def parameter(self, leaf: str) -> str:
        return f"{self.code.value}.{leaf}"


POLICIES: dict[PolicyCode, Policy] = {
    p.code: p
    for p in (
        Policy(
            PolicyCode.BEIJING_FINANCING_LEASE,
            "Beijing robot financing-lease support",
            "对符合条件的关键机器人设备等融资租赁项目，按照不超过5%的费率予以支持，企业年度补贴额最高1000万元",
            Region.BEIJING,
            PolicyKind.LEASE,
            CapScope.COMPANY_YEAR,
            "beijing_financing_lease.annual_cap",
        ),
        Policy(
            PolicyCode.XIONGAN_ROBOT_LEASING,
            "Xiong'an robot leasing support",
            "采用租赁方式推动机器人场景应用的企业，按年租赁合同金额的10%给予支持，每家企业最高100万元",
            Region.XIONGAN,
            PolicyKind.LEASE,
            CapScope.COMPANY_YEAR,
            "xiongan_robot_leasing.annual_cap",
        ),
        Policy(
            PolicyCode.FUJIAN_DATA_CLUSTER,
            "Fujian data-industry cluster support",
            "福建省数据产业集聚区: 专项资金支持符合条件的园区建设",
            Region.FUJIAN,
            PolicyKind.APPLICATION,
            CapScope.DESIGNATION,
            "fujian_data_cluster.max_per_designation",
        ),
        Policy(
            PolicyCode.FUJIAN_DATA_PARK,
            "Fujian data-element park support",
            "福建省数据要素产业园: 专项资金支持符合条件的园区建设",
            Region.FUJIAN,
            PolicyKind.APPLICATION,
            CapScope.DESIGNATION,
            "fujian_data_park.max_per_designation",
        ),
    )
}

LEASE_POLICIES: tuple[Policy, ...] = tuple(
    p for p in POLICIES.values() if p.kind is PolicyKind.LEASE
)


def region_of(
    division_code: str, params: ParameterSet, on: date
) -> tuple[Region | None, Reading | None]:
    """The policy region a 6-digit division code lies in, and the code list that said so.

    The most specific (longest) matching prefix wins, so a region listed by county codes is
    found even if another region ever lists its province.
    """
    best: tuple[int, Region, Reading] | None = None
    for region in Region:
        reading = params.read_optional(f"regions.{region.value}", on)
        if reading is None or not isinstance(reading.value, tuple):
            continue
        for prefix in reading.value:
            if division_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), region, reading)
    if best is None:
        return None, None
    return best[1], best[2]
