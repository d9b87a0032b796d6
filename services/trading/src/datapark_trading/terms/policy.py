"""The usage policy an agreement carries (ODRL-like) and the checks a delivery makes against it.

Purpose, permitted uses, territory, duration, maximum calls or records, no onward transfer, and
what happens to the running agreement when its listing is suspended or delisted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from datapark_kit.errors import Forbidden, Unprocessable
from datapark_trading.problems import TradingProblem

MAX_DURATION = timedelta(days=3660)


class ListingState(StrEnum):
    """The listing states (catalog's) that matter to trade."""

    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


class DelistingClause(StrEnum):
    """What a running agreement does when its listing stops being listed."""

    CONTINUE = "continue"
    """Runs to its end: delivery goes on whatever happens to the listing."""
    SUSPEND = "suspend"
    """Delivery pauses while the listing is suspended; delisting terminates the agreement."""
    TERMINATE = "terminate"
    """Suspension or delisting terminates the agreement; unused escrow is refunded."""


class ListingEffect(StrEnum):
    """What the trade does to a running agreement after a listing change."""

    NONE = "none"
    SUSPEND_DELIVERY = "suspend_delivery"
    RESUME_DELIVERY = "resume_delivery"
    TERMINATE = "terminate"


@dataclass(frozen=True, slots=True)
class UsagePolicy:
    """The terms of use; ``onward_transfer`` False means the data may not be passed on."""

    purpose: str
    permitted_uses: frozenset[str]
    territory: frozenset[str]
    duration: timedelta
    max_calls: int | None = None
    max_records: int | None = None
    onward_transfer: bool = False
    on_delisting: DelistingClause = DelistingClause.CONTINUE

    def __post_init__(self) -> None:
        if not self.purpose.strip():
            raise Unprocessable("a usage policy states its purpose", field="policy.purpose")
        if not self.permitted_uses or any(not u.strip() for u in self.permitted_uses):
            raise Unprocessable(
                "a usage policy names at least one permitted use", field="policy.permitted_uses"
            )
        if not self.territory or any(not t.strip() for t in self.territory):
            raise Unprocessable(
                "a usage policy names at least one territory", field="policy.territory"
            )
        if not timedelta(0) < self.duration <= MAX_DURATION:
            raise Unprocessable(
                "a usage policy lasts more than nothing and at most ten years",
                field="policy.duration",
            )
        for name, limit in (("max_calls", self.max_calls), ("max_records", self.max_records)):
            if limit is not None and limit <= 0:
                raise Unprocessable(f"{name} must be greater than zero", field=f"policy.{name}")

    def allows_territory(self, region: str) -> bool:
        """A region is inside when it or one of its parents is listed ("CN" covers "CN-BJ")."""
        parts = region.split("-")
        return any("-".join(parts[:n]) in self.territory for n in range(1, len(parts) + 1))

    def check_use(self, *, use: str, region: str, onward_transfer: bool = False) -> None:
        """Refuse a use the policy does not permit (403 with a code that names the clause)."""
        if use not in self.permitted_uses:
            permitted = ", ".join(sorted(self.permitted_uses))
            raise Forbidden(
                f"use {use!r} is not permitted (permitted: {permitted})",
                code=TradingProblem.USE_NOT_PERMITTED,
            )
        if not self.allows_territory(region):
            raise Forbidden(
                f"region {region!r} is outside the agreed territory",
                code=TradingProblem.TERRITORY_NOT_PERMITTED,
            )
        if onward_transfer and not self.onward_transfer:
            raise Forbidden(
                "the agreement forbids onward transfer",
                code=TradingProblem.ONWARD_TRANSFER_FORBIDDEN,
            )

    def effect_of(self, listing: ListingState, *, was: ListingState) -> ListingEffect:
        """What a change of the listing from ``was`` to ``listing`` does to the agreement."""
        if listing is was or self.on_delisting is DelistingClause.CONTINUE:
            return ListingEffect.NONE
        if listing is ListingState.DELISTED:
            return ListingEffect.TERMINATE
        if listing is ListingState.SUSPENDED:
            if self.on_delisting is DelistingClause.TERMINATE:
                return ListingEffect.TERMINATE
            return ListingEffect.SUSPEND_DELIVERY
        # listed again after a suspension: only a paused delivery has anything to resume
        if self.on_delisting is DelistingClause.SUSPEND:
            return ListingEffect.RESUME_DELIVERY
        return ListingEffect.NONE
