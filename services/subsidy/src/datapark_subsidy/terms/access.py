"""Who may read every company's subsidy records (claims, budgets) rather than only their own."""

from __future__ import annotations

from datapark_kit.auth import Principal

REVIEWERS = ("reviewer", "operator", "auditor")


def sees_all_claims(principal: Principal) -> bool:
    return principal.has(*REVIEWERS)
