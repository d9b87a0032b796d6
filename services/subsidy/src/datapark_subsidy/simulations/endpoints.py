"""``POST /v1/simulations``: what-if over a past period, without touching real claims."""

from __future__ import annotations

from fastapi import APIRouter

from datapark_kit.auth import require_roles
from datapark_kit.openapi import problems
from datapark_kit.uow import SessionDep, UnitOfWorkRoute
from datapark_subsidy.policies.endpoints import ParametersDep
from datapark_subsidy.problems import SIMULATION
from datapark_subsidy.simulations.schemas import SimulationIn, SimulationOut
from datapark_subsidy.simulations.service import SimulationService

router = APIRouter(prefix="/v1/simulations", tags=["simulations"], route_class=UnitOfWorkRoute)


@router.post(
    "",
    response_model=SimulationOut,
    dependencies=[require_roles("reviewer", "operator", "auditor")],
    responses=problems(*SIMULATION),
)
async def run_simulation(
    body: SimulationIn, session: SessionDep, params: ParametersDep
) -> SimulationOut:
    """Replay the recorded rental events through changed parameters over ``[start, end)``.

    Returns, per company, what the current parameters grant beside what the changed ones
    would, and the budget difference. Nothing is written. A lease whose lessee subsidy does
    not know grants nothing in either column. A change naming no parameter, or a value or date
    its unit refuses, is 422 ``invalid_parameter`` naming ``changes.<name>`` (or
    ``changes.<name>.<date>``); a change that leaves a parameter a rule reads out of force is
    422 ``parameter_not_in_force`` naming ``changes.<name>``.
    """
    result, recorded = await SimulationService(session, params).run(
        body.changes, body.period.start, body.period.end
    )
    return SimulationOut.of(result, recorded)
