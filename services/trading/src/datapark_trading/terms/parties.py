"""The two sides of every trade, in Dataspace Protocol terms, and how a thing between them ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from datapark_kit.errors import Unprocessable


class Party(StrEnum):
    """Consumer = the buyer (数据需方); provider = the seller (数据供方)."""

    CONSUMER = "consumer"
    PROVIDER = "provider"

    @property
    def other(self) -> Party:
        return Party.PROVIDER if self is Party.CONSUMER else Party.CONSUMER


@dataclass(frozen=True, slots=True)
class Termination:
    """Who ended a negotiation, agreement or transfer, when, and why.

    ``by`` is ``None`` when the venue ended it (expiry, delisting): the reason says which.
    """

    reason: str
    at: datetime
    by: Party | None = None

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise Unprocessable("a termination needs a reason", field="reason")
