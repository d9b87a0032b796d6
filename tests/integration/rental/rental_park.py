"""The park of rental's integration tests: companies, units, kits, offerings and maintenance
windows registered in catalog over HTTP and projected by rental from Kafka, as in production."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from support.helpers import eventually, random_uscc

from datapark_rental.fleet.models import FleetUnit, MaintenanceWindow, Offering
from datapark_rental.tables import PARTICIPANTS

PROJECTION_TIMEOUT = 120.0  # the first test also waits for relays and the consumer group


def cny(amount: str | Decimal) -> dict[str, str]:
    """An amount as rental's API takes and gives money: ``{"amount", "currency"}``."""
    return {"amount": str(amount), "currency": "CNY"}


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Park:
    """Build fleet and companies through catalog; wait until rental's projection has them."""

    def __init__(self, catalog: Any, rental: Any, token: Any) -> None:
        self.catalog, self.rental, self.token = catalog, rental, token
        self.operator = token("operator")

    async def _rental_row(self, statement: Any) -> Any:
        async with self.rental.app.state.database.unit_of_work() as session:
            return (await session.execute(statement)).first()

    async def company(
        self, *, group_id: str | None = None, roles: tuple[str, ...] = ("participant", "customer")
    ) -> tuple[uuid.UUID, dict[str, str]]:
        """A company registered and approved in catalog, active in rental's projection."""
        body: dict[str, Any] = {
            "name": f"Robot Works {uuid.uuid4().hex[:6]} Co.",
            "uscc": random_uscc("110105"),
            "region_code": "110105",
            "roles": list(roles),
        }
        if group_id is not None:
            body["group_code"] = group_id  # catalog's name for the group (a code, not ours)
        created = await self.catalog.post("/v1/participants", json=body, headers=self.operator)
        assert created.status_code == 201, created.text
        pid = uuid.UUID(created.json()["id"])
        approved = await self.catalog.post(f"/v1/participants/{pid}/approve", headers=self.operator)
        assert approved.status_code == 200, approved.text

        async def active() -> Any:
            row = await self._rental_row(
                select(PARTICIPANTS.c.status).where(PARTICIPANTS.c.id == pid)
            )
            return row is not None and row.status == "active"

        await eventually(active, timeout=PROJECTION_TIMEOUT)
        return pid, self.token(*roles, participant_id=pid)

    async def unit(
        self, lessor: dict[str, str], *, cost: str = "1200000.00", category: str = "industrial_arm"
    ) -> uuid.UUID:
        model = await self.catalog.post(
            "/v1/robot-models",
            headers=lessor,
            json={
                "maker": "Estun",
                "name": f"ER-{uuid.uuid4().hex[:4]}",
                "category": category,
                "specs": {"payload_kg": 20},
            },
        )
        assert model.status_code == 201, model.text
        unit = await self.catalog.post(
            "/v1/robot-units",
            headers=lessor,
            json={
                "model_id": model.json()["id"],
                "serial_number": f"SN-{uuid.uuid4().hex[:12]}",
                "acquisition_cost": cny(cost),
                "salvage_value": cny("0.00"),
                "acquired_on": date.today().isoformat(),
                "useful_life_months": 60,
                "location": "Hall 3",
            },
        )
        assert unit.status_code == 201, unit.text
        return uuid.UUID(unit.json()["id"])

    async def kit(self, lessor: dict[str, str], unit_ids: list[uuid.UUID]) -> uuid.UUID:
        kit = await self.catalog.post(
            "/v1/robot-kits",
            headers=lessor,
            json={
                "name": "Welding line",
                "unit_ids": [str(u) for u in unit_ids],
            },
        )
        assert kit.status_code == 201, kit.text
        return uuid.UUID(kit.json()["id"])

    async def offering(
        self,
        lessor: dict[str, str],
        *,
        unit_id: uuid.UUID | None = None,
        kit_id: uuid.UUID | None = None,
        **overrides: Any,
    ) -> uuid.UUID:
        body: dict[str, Any] = {
            "title": "Welding robot",
            "target_kind": "kit" if kit_id else "unit",
            "unit_id": str(unit_id) if unit_id else None,
            "kit_id": str(kit_id) if kit_id else None,
            "modes": ["robot_container"]
            if kit_id
            else ["short_term", "long_term", "financing_lease", "service_lease"],
            "rate_card": {
                "hour": cny("100.00"),
                "day": cny("2000.00"),
                "week": cny("9000.00"),
                "month": cny("40000.00"),
            },
            "service_terms": None
            if kit_id
            else {
                "usage_unit": "procedure",
                "price_per_use": cny("5000.00"),
                "monthly_minimum": cny("40000.00"),
            },
            "deposit": cny("5000.00"),
            "min_duration_seconds": 3600,
            "max_duration_seconds": 3600 * 24 * 90,
            "turnaround_before_seconds": 30 * 60,
            "turnaround_after_seconds": 3600,
            "cancellation_policy": [
                {"notice_seconds": 86400, "fee_rate": "0.2"},
                {"notice_seconds": 0, "fee_rate": "0.5"},
            ],
            "available_from": (datetime.now(UTC) - timedelta(days=400)).isoformat(),
            "location": "Hall 3",
        } | overrides
        created = await self.catalog.post("/v1/rental-offerings", headers=lessor, json=body)
        assert created.status_code == 201, created.text
        offering_id = uuid.UUID(created.json()["id"])
        units = [uuid.UUID(u) for u in created.json()["unit_ids"]]

        async def projected() -> bool:
            offering = await self._rental_row(select(Offering.id).where(Offering.id == offering_id))
            async with self.rental.app.state.database.unit_of_work() as session:
                known = (
                    await session.execute(select(FleetUnit.id).where(FleetUnit.id.in_(units)))
                ).all()
            return offering is not None and len(known) == len(units)

        await eventually(projected, timeout=PROJECTION_TIMEOUT)
        return offering_id

    async def maintenance(
        self, lessor: dict[str, str], unit_id: uuid.UUID, start: datetime, end: datetime
    ) -> uuid.UUID:
        created = await self.catalog.post(
            f"/v1/robot-units/{unit_id}/maintenance-windows",
            headers=lessor,
            json={"start": start.isoformat(), "end": end.isoformat(), "reason": "servicing"},
        )
        assert created.status_code == 201, created.text
        window_id = uuid.UUID(created.json()["id"])

        async def projected() -> Any:
            return await self._rental_row(
                select(MaintenanceWindow.id).where(MaintenanceWindow.id == window_id)
            )

        await eventually(projected, timeout=PROJECTION_TIMEOUT)
        return window_id

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.rental.app.state.database.unit_of_work() as session:
            result = await session.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def activate_signed(
        self,
        lease: dict[str, Any],
        *,
        lessee: dict[str, str],
        lessor: dict[str, str],
        accepted_on: date,
    ) -> dict[str, Any]:
        """A signed lease's down payment paid and the lease activated on ``accepted_on``. A
        lease whose rent started in the past was signed (as if) and its down payment received
        that day, which the lessor records back-dated: rent never starts before signing."""
        path = f"/v1/leases/{lease['id']}"
        payer, dated = lessee, {}
        if accepted_on < datetime.now(UTC).date():
            await self.sql(
                "UPDATE rental.leases SET signed_on = :d WHERE id = :i",
                d=accepted_on,
                i=uuid.UUID(lease["id"]),
            )
            payer, dated = lessor, {"paid_on": accepted_on.isoformat()}
        if Decimal(lease["upfront_due"]["amount"]) > 0:
            paid = await self.rental.post(
                f"{path}/payments", headers=payer, json={"amount": lease["upfront_due"]} | dated
            )
            assert paid.status_code == 201, paid.text
        activated = await self.rental.post(
            f"{path}/activate",
            headers=lessor,
            json={"delivery_accepted_on": accepted_on.isoformat()},
        )
        assert activated.status_code == 200, activated.text
        return dict(activated.json())
