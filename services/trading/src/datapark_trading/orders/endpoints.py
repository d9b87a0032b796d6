"""HTTP endpoints of orders."""

from __future__ import annotations

from fastapi import APIRouter, status

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_trading.contracting.schemas import AgreementOut
from datapark_trading.orders.schemas import OrderCreate, OrderOut
from datapark_trading.orders.service import OrderService
from datapark_trading.partners.actor import CurrentActor
from datapark_trading.problems import ORDERS

router = APIRouter(
    prefix="/v1/orders", tags=["orders"], route_class=UnitOfWorkRoute, responses=problems(*ORDERS)
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    dependencies=[require_roles("participant", "partner")],
)
async def place_order(body: OrderCreate, session: SessionDep, actor: CurrentActor) -> OrderOut:
    """Buy a listed product at its listed price (fixed, subscription periods, or metered with a
    budget): the agreement is concluded and the price locked in escrow in the same step.
    Insufficient funds is a 422; a listing that is not listed a 409. Honours `Idempotency-Key`.
    """
    order, agreement = await OrderService(session).place(actor, body)
    return OrderOut.of(order, AgreementOut.of(agreement))
