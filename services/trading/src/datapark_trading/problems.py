"""trading's catalogue of problem codes: every code a trading endpoint may answer with beside
the kit's (``datapark_kit.openapi.KitCode``). Raise sites pass these members; each router
documents the ones its operations can return (``responses=problems(...)``);
docs/api-problems.md lists them. (The Dataspace Protocol's own message codes, such as a
termination's ``terminated``, are protocol content, not problems.)"""

from __future__ import annotations

from datapark_kit.errors import ProblemCode


class TradingProblem(ProblemCode):
    # the Dataspace Protocol (400 with the protocol's error message)
    MALFORMED_JSON_LD = "malformed_json_ld", 400, "The body is not a DSP JSON-LD message."
    UNKNOWN_TYPE = "unknown_type", 400, "The message's @type is not the one expected here."
    INVALID_FIELD = "invalid_field", 400, "A field of the message is missing or invalid."
    UNKNOWN_OFFER = "unknown_offer", 400, "The offer is not one of datapark's."
    UNSUPPORTED_FORMAT = "unsupported_format", 400, "The transfer format is not offered."
    WRONG_SIDE = "wrong_side", 400, "The message is for the other side of the process."
    PID_MISMATCH = "pid_mismatch", 400, "The process id in the path and body differ."
    POLICY_MISMATCH = "policy_mismatch", 400, "The agreement is not the policy offered."
    INVALID_EVENT = "invalid_event", 400, "This side may not send that event."
    ADDRESS_NOT_PUBLIC = "address_not_public", 400, "A callback address must be public https."
    UNSUPPORTED = "unsupported", 400, "datapark does not take this message."
    PID_TAKEN = "pid_taken", 409, "The consumer's process id already names a process."
    # webhooks
    BAD_SIGNATURE = "bad_signature", 401, "The webhook signature does not verify."
    STALE_SIGNATURE = "stale_signature", 401, "The webhook signature is too old."
    # parties and usage policies
    NOT_A_MEMBER = "not_a_member", 403, "The partner does not act for that member."
    NOT_A_PARTY = "not_a_party", 403, "The caller is not a party to it."
    WRONG_PARTY = "wrong_party", 403, "The other party takes this step."
    ONWARD_TRANSFER_FORBIDDEN = "onward_transfer_forbidden", 403, "The policy forbids it."
    TERRITORY_NOT_PERMITTED = "territory_not_permitted", 403, "Outside the policy's territory."
    USE_NOT_PERMITTED = "use_not_permitted", 403, "The use is not among the permitted uses."
    PARTICIPANT_NOT_ACTIVE = "participant_not_active", 422, "The member is not active."
    # money and metering
    NEGOTIATION_REQUIRED = "negotiation_required", 422, "The listing's price is negotiated."
    INSUFFICIENT_BALANCE = "insufficient_balance", 422, "The account cannot cover it."
    INSUFFICIENT_FUNDS = "insufficient_funds", 422, "The account cannot cover the lock."
    LOCK_EXCEEDED = "lock_exceeded", 422, "The usage would exceed the locked budget."
    USAGE_LIMIT_EXCEEDED = "usage_limit_exceeded", 422, "The policy's usage limit is reached."
    USAGE_COUNTER_OVERFLOW = "usage_counter_overflow", 422, "The usage count would overflow."
    WEBHOOK_DESTINATION_NOT_PUBLIC = (
        "webhook_destination_not_public",
        422,
        "A webhook URL must be public https.",
    )


P = TradingProblem
PARTIES = (P.NOT_A_MEMBER, P.NOT_A_PARTY, P.PARTICIPANT_NOT_ACTIVE)
POLICY = (P.ONWARD_TRANSFER_FORBIDDEN, P.TERRITORY_NOT_PERMITTED, P.USE_NOT_PERMITTED)
MONEY = (P.INSUFFICIENT_BALANCE, P.INSUFFICIENT_FUNDS, P.LOCK_EXCEEDED)
# What each router's operations may answer with (documented on its routes).
ORDERS = (*PARTIES, *MONEY, P.NEGOTIATION_REQUIRED, P.WRONG_PARTY)
NEGOTIATIONS = (*PARTIES, *MONEY, P.NEGOTIATION_REQUIRED, P.WRONG_PARTY)
AGREEMENTS = (*PARTIES, *MONEY, P.WRONG_PARTY)
TRANSFERS = (
    *PARTIES,
    *POLICY,
    *MONEY,
    P.WRONG_PARTY,
    P.USAGE_LIMIT_EXCEEDED,
    P.USAGE_COUNTER_OVERFLOW,
)
ACCOUNTS = (*PARTIES, *MONEY)
WEBHOOKS = (*PARTIES, P.WEBHOOK_DESTINATION_NOT_PUBLIC, P.BAD_SIGNATURE, P.STALE_SIGNATURE)
PARTNERS = (P.PARTICIPANT_NOT_ACTIVE,)
DSP = (
    *PARTIES,
    *POLICY,
    P.MALFORMED_JSON_LD,
    P.UNKNOWN_TYPE,
    P.INVALID_FIELD,
    P.UNKNOWN_OFFER,
    P.UNSUPPORTED_FORMAT,
    P.WRONG_SIDE,
    P.PID_MISMATCH,
    P.POLICY_MISMATCH,
    P.INVALID_EVENT,
    P.ADDRESS_NOT_PUBLIC,
    P.UNSUPPORTED,
    P.PID_TAKEN,
    P.WRONG_PARTY,
)
