"""The floor of an authenticated request in datapark (issue #14): the rental app's own stack
(``datapark_kit.app.create_app``: uvicorn as served, the middleware, token verification, the
unit of work's route class, FastAPI's dependency solving and JSON response) around one trivial
endpoint that runs no SQL. ``bench/booking.py`` serves it as its own process beside rental and
loads it like the booking paths: what any authenticated endpoint costs before it does
anything, on the same machine in the same run (a physical baseline for a Python service)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from datapark_kit.app import create_app
from datapark_kit.auth import CurrentPrincipal
from datapark_kit.uow import UnitOfWorkRoute
from datapark_rental.settings import RentalSettings

router = APIRouter(prefix="/v1", route_class=UnitOfWorkRoute)


@router.get("/floor")
async def floor(principal: CurrentPrincipal) -> dict[str, str]:
    """The caller's client id: nothing read, nothing written."""
    return {"client_id": principal.client_id}


def build_app() -> FastAPI:
    """The app factory ``datapark_kit.serve`` imports in each worker process."""
    return create_app(
        RentalSettings(), title="datapark bench floor", description=__doc__ or "", routers=[router]
    )


if __name__ == "__main__":
    from datapark_kit import serve

    serve.run("booking_floor:build_app", RentalSettings())
