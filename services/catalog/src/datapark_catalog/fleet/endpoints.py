"""HTTP endpoints of the robot fleet and rental offerings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from datapark_catalog.fleet.schemas import (
    MaintenanceWindowCreate,
    MaintenanceWindowOut,
    OfferingTermsIn,
    RentalOfferingCreate,
    RentalOfferingOut,
    RobotKitCreate,
    RobotKitOut,
    RobotKitUpdate,
    RobotModelCreate,
    RobotModelOut,
    RobotModelUpdate,
    RobotUnitCreate,
    RobotUnitOut,
    RobotUnitUpdate,
    WithdrawRequest,
)
from datapark_catalog.fleet.service import FleetService, OfferingService
from datapark_catalog.problems import FLEET
from datapark_kit.auth import CurrentPrincipal, require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute

router = APIRouter(
    prefix="/v1", tags=["robot fleet"], route_class=UnitOfWorkRoute, responses=problems(*FLEET)
)
LESSOR = require_roles("participant", "partner")


@router.post(
    "/robot-models",
    status_code=status.HTTP_201_CREATED,
    response_model=RobotModelOut,
    dependencies=[require_roles("participant", "partner", "operator")],
)
async def register_robot_model(
    body: RobotModelCreate, session: SessionDep, principal: CurrentPrincipal
) -> RobotModelOut:
    """Register a robot model: maker, category (industrial arm, AMR, humanoid, surgical,
    inspection drone …) and specs."""
    return RobotModelOut.model_validate(await FleetService(session).register_model(principal, body))


@router.get("/robot-models/{model_id}", response_model=RobotModelOut)
async def get_robot_model(
    model_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RobotModelOut:
    """A robot model (public to every authenticated caller)."""
    return RobotModelOut.model_validate(await FleetService(session).get_model(model_id))


@router.patch("/robot-models/{model_id}", response_model=RobotModelOut)
async def update_robot_model(
    model_id: uuid.UUID, body: RobotModelUpdate, session: SessionDep, principal: CurrentPrincipal
) -> RobotModelOut:
    """Correct a model's name or specs (who registered it, or an operator)."""
    return RobotModelOut.model_validate(
        await FleetService(session).update_model(principal, model_id, body)
    )


@router.post(
    "/robot-units",
    status_code=status.HTTP_201_CREATED,
    response_model=RobotUnitOut,
    dependencies=[LESSOR],
)
async def register_robot_unit(
    body: RobotUnitCreate, session: SessionDep, principal: CurrentPrincipal
) -> RobotUnitOut:
    """Register a unit owned by the caller (the lessor); a duplicate serial number is a 409."""
    return RobotUnitOut.of(await FleetService(session).register_unit(principal, body))


@router.get("/robot-units/{unit_id}", response_model=RobotUnitOut)
async def get_robot_unit(
    unit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RobotUnitOut:
    """A unit with its straight-line appraised value as of today (owner or operator)."""
    return RobotUnitOut.of(await FleetService(session).get_unit(principal, unit_id))


@router.patch("/robot-units/{unit_id}", response_model=RobotUnitOut)
async def update_robot_unit(
    unit_id: uuid.UUID, body: RobotUnitUpdate, session: SessionDep, principal: CurrentPrincipal
) -> RobotUnitOut:
    """Move a unit or change its status (owner only)."""
    return RobotUnitOut.of(await FleetService(session).update_unit(principal, unit_id, body))


@router.post(
    "/robot-units/{unit_id}/maintenance-windows",
    status_code=status.HTTP_201_CREATED,
    response_model=MaintenanceWindowOut,
)
async def schedule_maintenance(
    unit_id: uuid.UUID,
    body: MaintenanceWindowCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> MaintenanceWindowOut:
    """Block a unit for maintenance over ``[start, end)``; overlapping windows are a 409."""
    return MaintenanceWindowOut.model_validate(
        await FleetService(session).schedule_maintenance(principal, unit_id, body)
    )


@router.post(
    "/robot-units/{unit_id}/maintenance-windows/{window_id}/cancel",
    response_model=MaintenanceWindowOut,
)
async def cancel_maintenance(
    unit_id: uuid.UUID, window_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> MaintenanceWindowOut:
    """Cancel a scheduled maintenance window (owner only)."""
    return MaintenanceWindowOut.model_validate(
        await FleetService(session).cancel_maintenance(principal, unit_id, window_id)
    )


@router.post(
    "/robot-kits",
    status_code=status.HTTP_201_CREATED,
    response_model=RobotKitOut,
    dependencies=[LESSOR],
)
async def register_robot_kit(
    body: RobotKitCreate, session: SessionDep, principal: CurrentPrincipal
) -> RobotKitOut:
    """Assemble a kit ("robot container") of the caller's own units."""
    return RobotKitOut.model_validate(await FleetService(session).register_kit(principal, body))


@router.patch("/robot-kits/{kit_id}", response_model=RobotKitOut)
async def update_robot_kit(
    kit_id: uuid.UUID, body: RobotKitUpdate, session: SessionDep, principal: CurrentPrincipal
) -> RobotKitOut:
    """Rename or redescribe a kit (owner only)."""
    return RobotKitOut.model_validate(
        await FleetService(session).update_kit(principal, kit_id, body)
    )


@router.get("/robot-kits/{kit_id}", response_model=RobotKitOut)
async def get_robot_kit(
    kit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RobotKitOut:
    """A kit (owner or operator)."""
    return RobotKitOut.model_validate(await FleetService(session).get_kit(principal, kit_id))


@router.post(
    "/rental-offerings",
    status_code=status.HTTP_201_CREATED,
    response_model=RentalOfferingOut,
    dependencies=[LESSOR],
)
async def publish_rental_offering(
    body: RentalOfferingCreate, session: SessionDep, principal: CurrentPrincipal
) -> RentalOfferingOut:
    """Offer a unit or a kit: modes, rate card, deposit, durations, turnaround padding."""
    return RentalOfferingOut.model_validate(await OfferingService(session).publish(principal, body))


@router.get("/rental-offerings/{offering_id}", response_model=RentalOfferingOut)
async def get_rental_offering(
    offering_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> RentalOfferingOut:
    """An offering (offerings are visible to every authenticated caller)."""
    return RentalOfferingOut.model_validate(await OfferingService(session).get(offering_id))


@router.put("/rental-offerings/{offering_id}", response_model=RentalOfferingOut)
async def change_rental_offering(
    offering_id: uuid.UUID, body: OfferingTermsIn, session: SessionDep, principal: CurrentPrincipal
) -> RentalOfferingOut:
    """Replace a published offering's terms; its unit or kit stays (owner only)."""
    return RentalOfferingOut.model_validate(
        await OfferingService(session).change(principal, offering_id, body)
    )


@router.post("/rental-offerings/{offering_id}/withdraw", response_model=RentalOfferingOut)
async def withdraw_rental_offering(
    offering_id: uuid.UUID, body: WithdrawRequest, session: SessionDep, principal: CurrentPrincipal
) -> RentalOfferingOut:
    """Withdraw an offering: it takes no new bookings (owner only)."""
    return RentalOfferingOut.model_validate(
        await OfferingService(session).withdraw(principal, offering_id, body.reason)
    )
