"""Designations as operator-kept records: validated, stored and published once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_contracts.events.subsidy import DesignationCorrected, DesignationRecorded
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import Conflict, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page
from datapark_subsidy.budgets.models import BudgetRow
from datapark_subsidy.budgets.repository import BudgetRepository
from datapark_subsidy.designations.models import DesignationRecord
from datapark_subsidy.designations.repository import DesignationRepository
from datapark_subsidy.problems import SubsidyProblem
from datapark_subsidy.tables import OUTBOX
from datapark_subsidy.terms.clock import park_today
from datapark_subsidy.terms.parameters import ParameterSet
from datapark_subsidy.terms.policies import POLICIES, PolicyCode, Region, region_of

POLICY_OF_KIND = {
    "cluster": PolicyCode.FUJIAN_DATA_CLUSTER,
    "park": PolicyCode.FUJIAN_DATA_PARK,
}
"""Which Fujian policy funds a designation of each kind."""


def _snapshot(
    record: DesignationRecord,
    event: type[DesignationRecorded] | type[DesignationCorrected],
    now: datetime,
    **extra: Any,
) -> DesignationRecorded | DesignationCorrected:
    return event(
        designation_id=record.id,
        kind=record.kind,
        name=record.name,
        region_code=record.region_code,
        designated_on=record.designated_on,
        recorded_by=record.recorded_by,
        occurred_at=now,
        **extra,
    )


class DesignationService:
    def __init__(self, session: AsyncSession, params: ParameterSet) -> None:
        self.session = session
        self.params = params
        self.repo = DesignationRepository(session)

    async def record(
        self, principal: Principal, *, kind: str, name: str, region_code: str, designated_on: date
    ) -> DesignationRecord:
        """Record a designation (operators only); 422 names the field that is wrong, 409 if
        one of that kind and name is on record. Nothing is written on refusal."""
        self._validate(kind, region_code, designated_on)
        now = datetime.now(UTC)
        designation_id = uuid7()
        values: dict[str, object] = {
            "id": designation_id,
            "kind": kind,
            "name": name,
            "region_code": region_code,
            "designated_on": designated_on,
            "recorded_by": principal.participant_id,
            "created_at": now,
        }
        if not await self.repo.add(values):
            raise Conflict(
                f"a {kind} named {name!r} is on record already",
                code=SubsidyProblem.DESIGNATION_EXISTS,
            )
        record = await self.repo.get(designation_id)
        assert record is not None
        await OUTBOX.append(
            self.session, _snapshot(record, DesignationRecorded, now), occurred_at=now
        )
        return record

    async def correct(
        self,
        principal: Principal,
        designation_id: uuid.UUID,
        *,
        name: str | None,
        region_code: str | None,
        designated_on: date | None,
    ) -> DesignationRecord:
        """Correct a designation's name, region or date (operators only) while nobody has
        applied under it: afterwards its facts bind the claims made (409)."""
        record = await self.repo.get(designation_id, for_update=True)
        if record is None:
            raise NotFound("designation not found")
        if await self.repo.in_use(designation_id):
            raise Conflict(
                "someone applied under this designation: it can no longer be corrected",
                code=SubsidyProblem.DESIGNATION_IN_USE,
            )
        name = name if name is not None else record.name
        region_code = region_code if region_code is not None else record.region_code
        designated_on = designated_on if designated_on is not None else record.designated_on
        self._validate(record.kind, region_code, designated_on)
        if await self.repo.name_taken(record.kind, name, designation_id):
            raise Conflict(
                f"a {record.kind} named {name!r} is on record already",
                code=SubsidyProblem.DESIGNATION_EXISTS,
            )
        if (name, region_code, designated_on) == (
            record.name,
            record.region_code,
            record.designated_on,
        ):
            return record  # nothing to correct: no event
        record.name, record.region_code, record.designated_on = name, region_code, designated_on
        await self.session.flush()
        now = datetime.now(UTC)
        await OUTBOX.append(
            self.session,
            _snapshot(record, DesignationCorrected, now, corrected_by=principal.participant_id),
            occurred_at=now,
        )
        return record

    def _validate(self, kind: str, region_code: str, designated_on: date) -> None:
        if designated_on > park_today():
            raise Unprocessable(
                "a designation cannot be dated in the future", field="designated_on"
            )
        region, _ = region_of(region_code, self.params, designated_on)
        if region is not Region.FUJIAN:
            raise Unprocessable(
                f"division {region_code} is not in Fujian (regions.fujian)",
                field="region_code",
                code=SubsidyProblem.REGION_NOT_COVERED,
            )
        cap_parameter = POLICIES[POLICY_OF_KIND[kind]].cap_parameter
        if self.params.read_optional(cap_parameter, designated_on) is None:
            raise Unprocessable(
                f"{cap_parameter} is not in force on {designated_on.isoformat()}",
                field="designated_on",
                code=SubsidyProblem.PARAMETER_NOT_IN_FORCE,
            )

    async def get(self, designation_id: uuid.UUID) -> tuple[DesignationRecord, list[BudgetRow]]:
        record = await self.repo.get(designation_id)
        if record is None:
            raise NotFound("designation not found")
        budgets = await BudgetRepository(self.session).shared(f"designation:{record.id}")
        return record, budgets

    async def page(
        self, cursor: str | None, limit: int
    ) -> tuple[list[DesignationRecord], str | None]:
        rows = await self.repo.page(after=cursor_id(cursor), limit=limit + 1)
        return keyset_page(rows, limit, key=lambda d: d.id)
