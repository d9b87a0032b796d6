"""rental's catalogue of problem codes: every code a rental endpoint may answer with beside
the kit's (``datapark_kit.openapi.KitCode``). Raise sites pass these members; each router
documents the ones its operations can return (``responses=problems(...)``);
docs/api-problems.md lists them."""

from __future__ import annotations

from datapark_kit.errors import ProblemCode


class RentalProblem(ProblemCode):
    BOOKING_CONFLICT = (
        "booking_conflict",
        409,
        "A unit is already booked for (part of) the period (named in conflicting_period), or "
        "the period was taken concurrently: try again.",
    )
    UNIT_IN_MAINTENANCE = (
        "unit_in_maintenance",
        409,
        "A unit is in maintenance for (part of) the period (named in conflicting_period).",
    )
    OFFERING_WITHDRAWN = "offering_withdrawn", 409, "The offering takes nothing new."
    UNIT_UNAVAILABLE = "unit_unavailable", 409, "A unit of the offering is out of service."
    UNIT_UNKNOWN = "unit_unknown", 409, "A unit of the offering is not known to rental yet."
    LESSOR_NET_ASSETS_UNKNOWN = (
        "lessor_net_assets_unknown",
        409,
        "The lessor's net assets are not on record (PUT /v1/lessors/{id}/financials).",
    )
    SERVICE_TERMS_MISSING = "service_terms_missing", 409, "The offering has no service terms."
    USAGE_ALREADY_INVOICED = "usage_already_invoiced", 409, "That month is already invoiced."


P = RentalProblem
# What each router's operations may answer with (documented on its routes).
BOOKINGS = (P.BOOKING_CONFLICT, P.UNIT_IN_MAINTENANCE, P.OFFERING_WITHDRAWN, P.UNIT_UNAVAILABLE)
LEASES = (
    P.OFFERING_WITHDRAWN,
    P.UNIT_UNKNOWN,
    P.LESSOR_NET_ASSETS_UNKNOWN,
    P.SERVICE_TERMS_MISSING,
    P.USAGE_ALREADY_INVOICED,
)
