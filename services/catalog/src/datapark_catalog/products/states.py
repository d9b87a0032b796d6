"""The data product lifecycle, from registration (登记) through compliance review (合规评估) to
listing (挂牌)::

    draft → submitted → under_review → registered | rejected
    rejected → draft (revise and resubmit)
    registered → listed ⇄ suspended → delisted
    draft | rejected | registered | delisted → retired

Every step not in the table raises ``InvalidState`` naming the current state.
"""

from __future__ import annotations

from enum import StrEnum

from datapark_contracts.events.catalog_listings import DataProductState
from datapark_kit.errors import InvalidState

ENTITY = "data product"

S = DataProductState


class ProductAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    REJECT = "reject"
    REVISE = "revise"
    LIST = "list"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    DELIST = "delist"
    RETIRE = "retire"


A = ProductAction

TRANSITIONS: dict[tuple[DataProductState, ProductAction], DataProductState] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.START_REVIEW): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.APPROVE): S.REGISTERED,
    (S.UNDER_REVIEW, A.REJECT): S.REJECTED,
    (S.REJECTED, A.REVISE): S.DRAFT,
    (S.REGISTERED, A.LIST): S.LISTED,
    # Listing on a further venue keeps the product listed.
    (S.LISTED, A.LIST): S.LISTED,
    (S.LISTED, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.REINSTATE): S.LISTED,
    (S.LISTED, A.DELIST): S.DELISTED,
    (S.SUSPENDED, A.DELIST): S.DELISTED,
    (S.DRAFT, A.RETIRE): S.RETIRED,
    (S.REJECTED, A.RETIRE): S.RETIRED,
    (S.REGISTERED, A.RETIRE): S.RETIRED,
    (S.DELISTED, A.RETIRE): S.RETIRED,
}
"""Every allowed (state, action) → next state; anything else is refused."""


def transition(state: DataProductState, action: ProductAction) -> DataProductState:
    """The state after ``action``; ``InvalidState`` (409) naming ``state`` if not allowed."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidState(
            ENTITY,
            state.value,
            action.value,
            f"a data product in state '{state.value}' cannot {action.value.replace('_', ' ')}",
        ) from None
