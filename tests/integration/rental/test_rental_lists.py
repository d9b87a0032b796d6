"""``GET /v1/bookings`` and ``GET /v1/leases`` on the real Postgres: keyset pages newest first
that walk every item once, each caller seeing only what it is a party to (operators and
auditors see all), filters, and cursors this API never issued refused as 422. A lease's
receivables (by due date) and invoices (oldest first) are pages too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration.rental.rental_park import Park, cny, hour_floor

pytestmark = pytest.mark.integration
TODAY = datetime.now(UTC).date()


@dataclass
class Party:
    id: uuid.UUID
    headers: dict[str, str]
    bookings: set[str] = field(default_factory=set)
    leases: set[str] = field(default_factory=set)


@dataclass
class Scene:
    lessor_a: Party
    lessor_b: Party
    c1: Party
    c2: Party
    offering_a: uuid.UUID
    offering_b: uuid.UUID
    auditor: dict[str, str]
    operator: dict[str, str]


async def _book(rental: Any, customer: Party, offering_id: uuid.UUID, start: datetime) -> str:
    response = await rental.post(
        "/v1/bookings",
        headers=customer.headers,
        json={
            "offering_id": str(offering_id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=3)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    booking_id = str(response.json()["id"])
    customer.bookings.add(booking_id)
    return booking_id


async def _lease(rental: Any, lessee: Party, offering_id: uuid.UUID, mode: str) -> str:
    body = {
        "mode": mode,
        "equipment_cost": cny("1000000"),
        "down_payment_rate": "0.10",
        "term_months": 36,
        "annual_rate": "0.06",
        "start_date": TODAY.isoformat(),
        "offering_id": str(offering_id),
        "monthly_net_operating_cash_flow": cny("40000"),
    }
    response = await rental.post("/v1/lease-applications", headers=lessee.headers, json=body)
    assert response.status_code == 201, response.text
    lease_id = str(response.json()["id"])
    lessee.leases.add(lease_id)
    return lease_id


scene_park: list[Park] = []


@pytest.fixture(scope="module")
async def scene(catalog: Any, rental: Any, token: Any) -> Scene:
    """Lessor A's offering booked 3x by c1 and 2x by c2, lessor B's once by c1; c1 leases
    twice (financing, long-term) and c2 once from lessor A."""
    park = Park(catalog, rental, token)
    parties = [Party(*(await park.company())) for _ in range(4)]
    scene_park.append(park)
    lessor_a, lessor_b, c1, c2 = parties
    offering_a = await park.offering(lessor_a.headers, unit_id=await park.unit(lessor_a.headers))
    offering_b = await park.offering(lessor_b.headers, unit_id=await park.unit(lessor_b.headers))
    recorded = await rental.put(
        f"/v1/lessors/{lessor_a.id}/financials",
        headers=lessor_a.headers,
        json={"net_assets": cny("100000000"), "as_of": TODAY.isoformat()},
    )
    assert recorded.status_code == 200, recorded.text

    base = hour_floor(datetime.now(UTC)) + timedelta(days=30)
    for i, customer in enumerate([c1, c2, c1, c2, c1]):
        lessor_a.bookings.add(
            await _book(rental, customer, offering_a, base + timedelta(days=2 * i))
        )
    lessor_b.bookings.add(await _book(rental, c1, offering_b, base))
    for lessee, mode in ((c1, "financing"), (c2, "financing"), (c1, "long_term")):
        lessor_a.leases.add(await _lease(rental, lessee, offering_a, mode))
    return Scene(
        lessor_a,
        lessor_b,
        c1,
        c2,
        offering_a,
        offering_b,
        token("auditor", participant_id=uuid.uuid4()),
        token("operator"),
    )


async def walk(
    rental: Any, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of every page, following ``next_cursor``; ids strictly descending."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = params | ({"cursor": cursor} if cursor else {})
        response = await rental.get(path, headers=headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= params.get("limit", 50)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ids = [uuid.UUID(item["id"]) for item in items]
    assert ids == sorted(set(ids), reverse=True), "duplicates or not newest first"
    return items


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


# --------------------------------------------------------------------------- bookings


async def test_booking_pages_walk_every_booking_once(rental, scene: Scene) -> None:
    a = scene.lessor_a
    for limit in (1, 2, 3):
        items = await walk(rental, "/v1/bookings", a.headers, limit=limit)
        assert ids(items) == a.bookings
        assert len(items) == 5
    first = (await rental.get("/v1/bookings", headers=a.headers, params={"limit": 5})).json()
    assert len(first["items"]) == 5
    assert first["next_cursor"] is None


async def test_a_customer_sees_only_its_own_bookings(rental, scene: Scene) -> None:
    c1, c2 = scene.c1, scene.c2
    mine = await walk(rental, "/v1/bookings", c1.headers, limit=2)
    assert ids(mine) == c1.bookings
    assert len(c1.bookings) == 4
    assert all(item["customer_participant_id"] == str(c1.id) for item in mine)
    assert not ids(mine) & c2.bookings
    theirs = await walk(rental, "/v1/bookings", c2.headers)
    assert ids(theirs) == c2.bookings
    assert len(theirs) == 2


async def test_a_lessor_sees_the_bookings_on_its_offerings(rental, scene: Scene) -> None:
    a, b = scene.lessor_a, scene.lessor_b
    on_a = await walk(rental, "/v1/bookings", a.headers)
    assert {item["offering_id"] for item in on_a} == {str(scene.offering_a)}
    customers = {item["customer_participant_id"] for item in on_a}
    assert customers == {str(scene.c1.id), str(scene.c2.id)}
    on_b = await walk(rental, "/v1/bookings", b.headers)
    assert ids(on_b) == b.bookings
    assert len(on_b) == 1
    # Filtering by its own offering or by one of its customers narrows within what it sees.
    narrowed = await walk(
        rental, "/v1/bookings", a.headers, offering_id=str(scene.offering_a), limit=2
    )
    assert ids(narrowed) == a.bookings
    with_c2 = await walk(rental, "/v1/bookings", a.headers, participant_id=str(scene.c2.id))
    assert ids(with_c2) == scene.c2.bookings


async def test_an_auditor_sees_every_tenants_bookings(rental, scene: Scene) -> None:
    everything = await walk(rental, "/v1/bookings", scene.auditor, limit=200)
    assert scene.c1.bookings | scene.c2.bookings <= ids(everything)
    of_c1 = await walk(rental, "/v1/bookings", scene.auditor, participant_id=str(scene.c1.id))
    assert ids(of_c1) == scene.c1.bookings
    on_b = await walk(rental, "/v1/bookings", scene.auditor, offering_id=str(scene.offering_b))
    assert ids(on_b) == scene.lessor_b.bookings
    operator = await walk(
        rental, "/v1/bookings", scene.operator, participant_id=str(scene.lessor_a.id)
    )
    assert ids(operator) == scene.lessor_a.bookings


async def test_another_tenants_filter_yields_nothing_of_theirs(rental, scene: Scene) -> None:
    c1, c2 = scene.c1, scene.c2
    for other in (c2.id, uuid.uuid4()):
        response = await rental.get(
            "/v1/bookings", headers=c1.headers, params={"participant_id": str(other)}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None}
    # c2 asking for lessor B's bookings gets none of c1's booking with B.
    response = await rental.get(
        "/v1/bookings", headers=c2.headers, params={"participant_id": str(scene.lessor_b.id)}
    )
    assert response.json() == {"items": [], "next_cursor": None}
    # c1 filtering by lessor B sees only the booking it is itself party to.
    shared = await walk(rental, "/v1/bookings", c1.headers, participant_id=str(scene.lessor_b.id))
    assert ids(shared) == scene.lessor_b.bookings
    # a lessor asking for another offering sees nothing of it.
    elsewhere = {"offering_id": str(scene.offering_a)}
    response = await rental.get("/v1/bookings", headers=scene.lessor_b.headers, params=elsewhere)
    assert response.json() == {"items": [], "next_cursor": None}


async def test_bookings_filter_by_status(rental, scene: Scene) -> None:
    c2 = scene.c2
    victim = sorted(c2.bookings)[0]
    cancelled = await rental.post(f"/v1/bookings/{victim}/cancel", headers=c2.headers)
    assert cancelled.status_code == 200, cancelled.text
    gone = await walk(rental, "/v1/bookings", c2.headers, status="cancelled")
    assert ids(gone) == {victim}
    held = await walk(rental, "/v1/bookings", c2.headers, status="held")
    assert ids(held) == c2.bookings - {victim}
    bogus = await rental.get("/v1/bookings", headers=c2.headers, params={"status": "lost"})
    assert bogus.status_code == 422


# --------------------------------------------------------------------------- leases


async def test_lease_pages_walk_every_lease_once(rental, scene: Scene) -> None:
    a = scene.lessor_a
    for limit in (1, 2):
        items = await walk(rental, "/v1/leases", a.headers, limit=limit)
        assert ids(items) == a.leases
        assert len(items) == 3
    assert await walk(rental, "/v1/leases", scene.lessor_b.headers) == []


async def test_a_lessee_sees_only_its_own_leases(rental, scene: Scene) -> None:
    c1, c2 = scene.c1, scene.c2
    mine = await walk(rental, "/v1/leases", c1.headers, limit=1)
    assert ids(mine) == c1.leases
    assert len(mine) == 2
    assert all(item["lessee_participant_id"] == str(c1.id) for item in mine)
    assert ids(await walk(rental, "/v1/leases", c2.headers)) == c2.leases
    for other in (c2.id, scene.lessor_b.id, uuid.uuid4()):
        response = await rental.get(
            "/v1/leases", headers=c1.headers, params={"participant_id": str(other)}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None}


async def test_an_auditor_sees_every_tenants_leases_and_filters(rental, scene: Scene) -> None:
    everything = await walk(rental, "/v1/leases", scene.auditor, limit=200)
    assert scene.lessor_a.leases <= ids(everything)
    of_c1 = await walk(rental, "/v1/leases", scene.auditor, participant_id=str(scene.c1.id))
    assert ids(of_c1) == scene.c1.leases
    long_term = await walk(
        rental,
        "/v1/leases",
        scene.auditor,
        participant_id=str(scene.lessor_a.id),
        mode="long_term",
    )
    assert len(long_term) == 1
    assert long_term[0]["mode"] == "long_term"
    assert long_term[0]["id"] in scene.c1.leases
    states = {item["state"] for item in of_c1}
    for state in states:
        narrowed = await walk(
            rental, "/v1/leases", scene.c1.headers, state=state, participant_id=str(scene.c1.id)
        )
        assert {item["state"] for item in narrowed} == {state}
        assert ids(narrowed) <= scene.c1.leases
    for bad in ({"state": "lost"}, {"mode": "barter"}):
        refused = await rental.get("/v1/leases", headers=scene.auditor, params=bad)
        assert refused.status_code == 422


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("path", ["/v1/bookings", "/v1/leases"])
@pytest.mark.parametrize(
    "cursor",
    [
        "!!not-base64!!",
        "bm90LWEtdXVpZA",  # base64 of "not-a-uuid"
        "AA",  # base64 of a NUL byte
        "_w",  # base64 of a byte that is not UTF-8
    ],
)
async def test_a_cursor_this_api_never_issued_is_422(rental, scene: Scene, path, cursor) -> None:
    response = await rental.get(path, headers=scene.auditor, params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert problem["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("path", ["/v1/bookings", "/v1/leases"])
@pytest.mark.parametrize("limit", [0, 201, -1])
async def test_a_limit_outside_1_to_200_is_422(rental, scene: Scene, path, limit) -> None:
    response = await rental.get(path, headers=scene.auditor, params={"limit": limit})
    assert response.status_code == 422, response.text


# --------------------------------------------------------------------------- a lease's lists


async def test_a_leases_receivables_and_invoices_are_pages(rental, scene: Scene) -> None:
    """c2's 36-month financing lease, signed and activated: its 36 installments walked in
    pages of 10 by due date, each once; its one invoice (the down payment) a page of one."""
    c2, lessor = scene.c2, scene.lessor_a
    lease_id = next(iter(c2.leases))
    path = f"/v1/leases/{lease_id}"
    signed = await rental.post(f"{path}/sign", headers=lessor.headers)
    assert signed.status_code == 200, signed.text
    await scene_park[0].activate_signed(
        signed.json(), lessee=c2.headers, lessor=lessor.headers, accepted_on=TODAY
    )

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = await rental.get(f"{path}/receivables", headers=c2.headers, params=query)
        assert page.status_code == 200, page.text
        seen.extend(page.json()["items"])
        cursor, pages = page.json()["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 4
    assert [r["period"] for r in seen] == list(range(1, 37))
    assert [r["due_date"] for r in seen] == sorted(r["due_date"] for r in seen)
    assert seen[0]["principal"]["currency"] == "CNY"

    invoices = await rental.get(f"{path}/invoices", headers=lessor.headers)
    assert invoices.status_code == 200, invoices.text
    assert len(invoices.json()["items"]) == 1
    assert invoices.json()["next_cursor"] is None
    assert invoices.json()["items"][0]["total"] == cny("100000.00")  # the down payment
    for kind in ("receivables", "invoices"):  # c1 is no party: the lease does not exist for it
        assert (await rental.get(f"{path}/{kind}", headers=scene.c1.headers)).status_code == 404


@pytest.mark.parametrize("kind", ["receivables", "invoices"])
@pytest.mark.parametrize(
    "cursor",
    [
        "!!not-base64!!",
        "bm90LWEtdXVpZA",  # base64 of "not-a-uuid"
        "MjAyNy0wMS0xNXw5OTk5OTk5OTk5OTl8aW5zdGFsbG1lbnQ",  # 2027-01-15|999999999999|installment
        "AA",  # base64 of a NUL byte
    ],
)
async def test_a_leases_lists_refuse_a_cursor_they_never_issued(
    rental, scene: Scene, kind: str, cursor: str
) -> None:
    lease_id = next(iter(scene.c1.leases))
    response = await rental.get(
        f"/v1/leases/{lease_id}/{kind}", headers=scene.auditor, params={"cursor": cursor}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "cursor"
