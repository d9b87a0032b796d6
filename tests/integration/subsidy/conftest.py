"""Helpers for subsidy's integration tests: companies in the projection, leases as rental
would report them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.helpers import eventually, random_uscc

from datapark_subsidy.leases.service import LeaseService
from datapark_subsidy.tables import PARTICIPANTS
from datapark_subsidy.terms.assessment import Receivable
from datapark_subsidy.terms.parameters import load_parameters

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def company(catalog: Any, subsidy: Any, token: Any) -> Any:
    """``await company("110105")``: a company registered in catalog, projected by subsidy."""

    async def register(region: str, name: str = "Robot Works Co.") -> uuid.UUID:
        response = await catalog.post(
            "/v1/participants",
            json={
                "name": name,
                "uscc": random_uscc(region),
                "region_code": region,
                "roles": ["participant"],
            },
            headers=token("operator"),
        )
        assert response.status_code == 201, response.text
        participant_id = uuid.UUID(response.json()["id"])

        async def projected() -> Any:
            async with subsidy.app.state.database.unit_of_work() as session:
                return (
                    await session.execute(
                        select(PARTICIPANTS.c.id).where(PARTICIPANTS.c.id == participant_id)
                    )
                ).first()

        # the first company of a session may wait while the consumer catches up on the log
        await eventually(projected, timeout=240, interval=0.25)
        return participant_id

    return register


def _month_after(day: date) -> date:
    year, month = divmod(day.month, 12)
    return date(day.year + year, month + 1, min(day.day, 28))


async def _activate_lease(
    subsidy: Any,
    participant_id: uuid.UUID,
    *,
    cost: str,
    down_payment: str = "0.00",
    mode: str = "financing_lease",
    category: str = "industrial_arm",
    activated_on: date = date(2025, 3, 1),
    payments: list[tuple[date, str]] | None = None,
    annual_rate: str = "0.06",
    paid: bool = True,
    lease_id: uuid.UUID | None = None,
    aggseq: int = 7,
) -> uuid.UUID:
    """What subsidy's consumer does with ``lease.activated`` (and, if ``paid``, with each
    ``installment_paid`` on its due date), in one unit of work.

    Without ``payments`` a financing lease is one instalment due a month after activation:
    the financed amount plus a month's interest at ``annual_rate``, so that Beijing's rate
    support earns min(interest, financed x 5 % / 12) on it.
    """
    lease_id = lease_id or uuid.uuid4()
    financed = Decimal(cost) - Decimal(down_payment)
    if payments is None:
        interest = (financed * Decimal(annual_rate) / 12).quantize(Decimal("0.01"))
        receivables = [
            Receivable(
                "installment",
                1,
                _month_after(activated_on),
                financed + interest,
                interest,
                Decimal("0.00"),
                financed,
            )
        ]
    else:
        receivables = [
            Receivable("installment", i, d, Decimal(a))
            for i, (d, a) in enumerate(payments, start=1)
        ]
    async with subsidy.app.state.database.unit_of_work() as session:
        leases = LeaseService(session, load_parameters())
        await leases.lease_activated(
            lease_id=lease_id,
            participant_id=participant_id,
            mode=mode,
            equipment_category=category,
            cost=Decimal(cost),
            down_payment=Decimal(down_payment),
            activated_on=activated_on,
            receivables=receivables,
            aggseq=aggseq,
        )
        for receivable in receivables if paid else []:
            await leases.receivable_paid(
                lease_id=lease_id, receivable=receivable, paid_on=receivable.due_on
            )
    return lease_id


@pytest.fixture
def activate_lease(subsidy: Any) -> Any:
    """``await activate_lease(participant_id, cost=...)``: see ``_activate_lease``."""

    async def activate(participant_id: uuid.UUID, **kwargs: Any) -> uuid.UUID:
        return await _activate_lease(subsidy, participant_id, **kwargs)

    return activate


@pytest.fixture
async def concurrent_subsidy(subsidy: Any) -> Any:
    """A client on the same running subsidy app whose concurrent requests get their own
    request state.

    asgi-lifespan hands every request the *same* ``scope["state"]`` dict (uvicorn gives each
    request a copy), so concurrent requests through the shared fixture would share the
    unit of work's session. Going to the app directly gives each request its own state.
    """
    import httpx

    transport = httpx.ASGITransport(app=subsidy.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy.test") as client:
        client.app = subsidy.app  # type: ignore[attr-defined]
        yield client
