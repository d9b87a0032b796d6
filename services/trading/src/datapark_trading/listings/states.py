"""A listing's state for trade: one state out of the product's and the venue listing's (pure)."""

from __future__ import annotations

from datapark_trading.terms.policy import ListingState


def effective_state(product_state: str, listing_state: str) -> ListingState:
    """One state for trade out of the product's and the venue listing's."""
    if product_state in ("delisted", "retired") or listing_state == "delisted":
        return ListingState.DELISTED
    if product_state == "suspended" or listing_state == "suspended":
        return ListingState.SUSPENDED
    if product_state == "listed" and listing_state == "listed":
        return ListingState.LISTED
    return ListingState.DELISTED
