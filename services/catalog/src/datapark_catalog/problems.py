"""catalog's catalogue of problem codes: every code a catalog endpoint may answer with beside
the kit's (``datapark_kit.openapi.KitCode``). Raise sites pass these members; each router
documents the ones its operations can return (``responses=problems(...)``);
docs/api-problems.md lists them."""

from __future__ import annotations

from datapark_kit.errors import ProblemCode


class CatalogProblem(ProblemCode):
    INVALID_CLIENT = "invalid_client", 401, "Unknown client or wrong secret."
    ROLES_INSUFFICIENT = "roles_insufficient", 403, "A credential asks for roles it may not hold."
    OPERATOR_ONLY_FIELD = "operator_only_field", 403, "Only an operator may change this field."
    OWN_PRODUCT = "own_product", 403, "An operator cannot review its own data product."
    OWNER_ONLY = "owner_only", 403, "Only the owner may change it."
    PARTICIPANT_NOT_ACTIVE = "participant_not_active", 403, "The participant is not approved."
    ALREADY_LISTED = "already_listed", 409, "The product is already listed on that venue."
    DUPLICATE_SERIAL = "duplicate_serial", 409, "A robot unit with this serial exists."
    DUPLICATE_USCC = "duplicate_uscc", 409, "A participant with this USCC exists."
    MAINTENANCE_OVERLAP = "maintenance_overlap", 409, "The window overlaps another maintenance."
    UNIT_OFFERED = "unit_offered", 409, "The unit is in a live rental offering."
    UNIT_RETIRED = "unit_retired", 409, "The unit is retired."
    CORE_DATA = "core_data", 422, "Core data (核心数据) is never traded."
    UNIT_IN_OVERLAPPING_KIT_OFFERING = (
        "unit_in_overlapping_kit_offering",
        422,
        "The unit is already offered in another kit.",
    )
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type", 422, "Only client_credentials."
    ISSUER_BUSY = "issuer_busy", 503, "Token issuing is saturated; retry after Retry-After."


P = CatalogProblem
# What each router's operations may answer with (documented on its routes).
AUTH = (P.INVALID_CLIENT, P.ROLES_INSUFFICIENT, P.UNSUPPORTED_GRANT_TYPE, P.ISSUER_BUSY)
PARTICIPANTS = (P.DUPLICATE_USCC, P.OPERATOR_ONLY_FIELD)
PRODUCTS = (P.OWN_PRODUCT, P.OWNER_ONLY, P.PARTICIPANT_NOT_ACTIVE, P.CORE_DATA)
LISTINGS = (P.ALREADY_LISTED, P.OWNER_ONLY, P.PARTICIPANT_NOT_ACTIVE, P.CORE_DATA)
VALUATIONS = (P.OWNER_ONLY, P.PARTICIPANT_NOT_ACTIVE)
FLEET = (
    P.OWNER_ONLY,
    P.DUPLICATE_SERIAL,
    P.MAINTENANCE_OVERLAP,
    P.UNIT_OFFERED,
    P.UNIT_RETIRED,
    P.UNIT_IN_OVERLAPPING_KIT_OFFERING,
)
