"""subsidy's catalogue of problem codes: every code a subsidy endpoint may answer with beside
the kit's (``datapark_kit.openapi.KitCode``). Raise sites pass these members; each router
documents the ones its operations can return (``responses=problems(...)``); docs/api.md
lists them (``python -m datapark_kit.openapi codes``)."""

from __future__ import annotations

from datapark_kit.errors import ProblemCode


class SubsidyProblem(ProblemCode):
    # 403
    NOT_APPLICANT = "not_applicant", 403, "Only the applicant submits or cancels its claim."
    # 409: the state does not allow it
    NOT_YET_EARNED = "not_yet_earned", 409, "The claim is earned at its year's or lease's end."
    BUDGET_CONFLICT = "budget_conflict", 409, "The budget moved meanwhile; retry."
    BUDGET_EXCEEDED = "budget_exceeded", 409, "Reserving would cross the budget's cap."
    BUDGET_INVARIANT = "budget_invariant", 409, "Reserved plus committed must stay within the cap."
    BUDGET_NOT_RESERVED = "budget_not_reserved", 409, "Less is reserved than is being posted."
    BUDGET_NOT_COMMITTED = "budget_not_committed", 409, "Less is committed than is released."
    DESIGNATION_EXISTS = "designation_exists", 409, "The region already has this designation."
    DESIGNATION_IN_USE = "designation_in_use", 409, "A claim relies on the designation."
    # 422: valid input the rules refuse
    INVALID_PARAMETER = "invalid_parameter", 422, "A policy parameter is malformed."
    PARAMETER_NOT_IN_FORCE = "parameter_not_in_force", 422, "No parameter value on that date."
    ABOVE_MAXIMUM = "above_maximum", 422, "The amount exceeds the policy's maximum."
    DESIGNATION_KIND_MISMATCH = "designation_kind_mismatch", 422, "The policy wants another kind."
    REGION_NOT_COVERED = "region_not_covered", 422, "The policy does not cover the region."
    NOT_DESIGNATED = "not_designated", 422, "The designation is not on record."
    UNKNOWN_PARTICIPANT = "unknown_participant", 422, "The participant is unknown to subsidy."
    NOT_A_COMPANY = "not_a_company", 422, "Only a company may apply."


P = SubsidyProblem
BUDGET_MOVES = (
    P.BUDGET_CONFLICT,
    P.BUDGET_EXCEEDED,
    P.BUDGET_INVARIANT,
    P.BUDGET_NOT_RESERVED,
    P.BUDGET_NOT_COMMITTED,
)
# What each kind of operation may answer with (documented on its routes).
APPLICATION = (
    P.UNKNOWN_PARTICIPANT,
    P.NOT_DESIGNATED,
    P.DESIGNATION_KIND_MISMATCH,
    P.REGION_NOT_COVERED,
    P.NOT_A_COMPANY,
    P.ABOVE_MAXIMUM,
    P.PARAMETER_NOT_IN_FORCE,
    *BUDGET_MOVES,
)
CLAIM_MOVE = (P.NOT_APPLICANT, P.NOT_YET_EARNED, P.PARAMETER_NOT_IN_FORCE, *BUDGET_MOVES)
DESIGNATION = (
    P.DESIGNATION_EXISTS,
    P.DESIGNATION_IN_USE,
    P.REGION_NOT_COVERED,
    P.PARAMETER_NOT_IN_FORCE,
)
SIMULATION = (P.INVALID_PARAMETER, P.PARAMETER_NOT_IN_FORCE)
