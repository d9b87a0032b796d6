"""The chaos run's users: companies registered and approved, products reviewed, listed and
bought (orders and negotiations), robots booked (many racing for one slot), leases applied
for, signed, paid and activated (Beijing and Xiong'an lessees), Fujian park claims reviewed
against a designation's cap — all over HTTP on 127.0.0.1, concurrently, as real clients do:
every write carries an ``Idempotency-Key`` and is retried with the same key after a 503 (its
``Retry-After``), a timeout or a refused connection. Every attempt goes into the ledger.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from datapark_catalog.participants.uscc import ALPHABET, check_character
from datapark_kit.auth import TokenSigner
from datapark_kit.devkeys import DEV_JWT_PRIVATE_KEY_PEM

REQUEST_TIMEOUT = 10.0
BEIJING, XIONGAN, FUJIAN = "110105", "130632", "350102"
FUJIAN_CAP = Decimal("5000000.00")


def uscc(region: str) -> str:
    body = "91" + region + "".join(random.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Attempt:
    """One HTTP attempt as the client saw it."""

    op: str
    service: str
    method: str
    path: str
    key: str | None
    attempt: int
    started: float  # seconds since the run began
    seconds: float
    status: int | str  # an HTTP status, or "timeout" / "connect_error"
    retry_after: str | None
    resource_id: str | None = None


@dataclass
class Outcome:
    """A logical write: its final answer after the client's retries."""

    op: str
    service: str
    key: str | None
    status: int | str
    resource_id: str | None
    body: Any


class BudgetSpent(Exception):
    """The run's request budget or time is used up: the journey stops where it is."""


@dataclass
class Ledger:
    started: float = field(default_factory=time.monotonic)
    attempts: list[Attempt] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    races: list[dict[str, Any]] = field(default_factory=list)
    claim_rounds: list[dict[str, Any]] = field(default_factory=list)
    journeys: dict[str, int] = field(default_factory=dict)
    journey_errors: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)  # journeys cut off at the end

    def now(self) -> float:
        return time.monotonic() - self.started


class Users:
    """The load generator: ``concurrency`` users each running journeys until time or the
    request budget runs out."""

    def __init__(
        self,
        urls: dict[str, str],
        dsn: str,
        *,
        duration: float,
        max_requests: int,
        concurrency: int,
        ledger: Ledger,
    ) -> None:
        self.urls = urls
        self.dsn = dsn
        self.deadline = ledger.started + duration
        self.max_requests = max_requests
        self.concurrency = concurrency
        self.ledger = ledger
        self.signer = TokenSigner(
            DEV_JWT_PRIVATE_KEY_PEM,
            key_id="datapark-dev-1",
            issuer="datapark-catalog",
            audience="datapark",
            ttl_seconds=3600,
        )
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.doing: dict[str, str] = {}  # user task -> the step it is on
        self.stopping = False

    # -- plumbing --------------------------------------------------------------------------------
    def token(self, *roles: str, participant_id: uuid.UUID | None = None) -> dict[str, str]:
        pid = participant_id or uuid.uuid4()
        jwt = self.signer.issue(client_id=f"chaos-{pid}", participant_id=pid, roles=list(roles))
        return {"Authorization": f"Bearer {jwt}"}

    def spent(self) -> bool:
        return (
            self.stopping
            or time.monotonic() > self.deadline
            or len(self.ledger.attempts) >= self.max_requests
        )

    async def call(
        self,
        op: str,
        service: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        *,
        max_seconds: float = 90.0,
    ) -> Outcome:
        """One logical request, retried with the same Idempotency-Key while the platform says
        "not now" (503 + Retry-After), times out or refuses the connection."""
        self._step(f"{op} {method} {path}")
        key = uuid.uuid4().hex if method != "GET" else None
        hdrs = dict(headers) | ({"Idempotency-Key": key} if key else {})
        client = self.clients[service]
        give_up = time.monotonic() + max_seconds
        for attempt in itertools.count(1):
            if attempt == 1 and (self.stopping or len(self.ledger.attempts) >= self.max_requests):
                raise BudgetSpent
            began = time.monotonic()
            retry_after: str | None = None
            answer: httpx.Response | None = None
            try:
                answer = await client.request(method, path, headers=hdrs, json=body)
                status: int | str = answer.status_code
                retry_after = answer.headers.get("Retry-After")
            except httpx.TimeoutException:
                status = "timeout"
            except httpx.TransportError:
                status = "connect_error"
            data: Any = None
            resource: str | None = None
            if answer is not None and answer.content:
                try:
                    data = answer.json()
                except ValueError:
                    data = answer.text
                if isinstance(data, dict):
                    found = data.get("id") or (data.get("agreement") or {}).get("id")
                    resource = str(found) if found else None
            self.ledger.attempts.append(
                Attempt(
                    op,
                    service,
                    method,
                    path,
                    key,
                    attempt,
                    began - self.ledger.started,
                    time.monotonic() - began,
                    status,
                    retry_after,
                    resource,
                )
            )
            transient = status in ("timeout", "connect_error") or (
                isinstance(status, int) and status >= 500
            )
            if not transient or time.monotonic() > give_up:
                outcome = Outcome(op, service, key, status, resource, data)
                if method != "GET":
                    self.ledger.outcomes.append(outcome)
                return outcome
            wait = 1.0
            if retry_after and retry_after.isdigit():
                wait = min(float(retry_after), 5.0)
            await asyncio.sleep(wait * (1.0 + 0.5 * random.random()))  # never before Retry-After
        raise AssertionError("unreachable")

    async def ok(
        self,
        op: str,
        service: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
    ) -> Any:
        outcome = await self.call(op, service, method, path, headers, body)
        if not (isinstance(outcome.status, int) and 200 <= outcome.status < 300):
            raise JourneyFailed(f"{op} {method} {path}: {outcome.status} {outcome.body}")
        return outcome.body

    async def sql(self, query: str, *args: Any) -> Any:
        """A projection probe on the chaos database (retried through a Postgres outage)."""
        while True:
            try:
                connection = await asyncio.wait_for(asyncpg.connect(self.dsn), 5)
                try:
                    return await asyncio.wait_for(connection.fetchval(query, *args), 5)
                finally:
                    await connection.close(timeout=2)
            except asyncpg.PostgresError as error:
                # only an outage is worth waiting for; a wrong query is the generator's bug
                if not str(getattr(error, "sqlstate", "")).startswith(("08", "57")):
                    raise
                await asyncio.sleep(1.0)
            except (
                OSError,
                TimeoutError,
                asyncpg.InterfaceError,
                # a connection that Postgres dropped mid-handshake (fast shutdown) can leave
                # asyncpg's protocol in a state it reports this way: the probe simply retries
                asyncpg.exceptions.InternalClientError,
            ):
                if self.stopping:
                    raise BudgetSpent from None
                await asyncio.sleep(1.0)

    def _step(self, what: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.doing[task.get_name()] = what

    async def until(
        self, probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 120
    ) -> None:
        self._step(f"waiting for {what}")
        limit = time.monotonic() + timeout
        while not await probe():
            if time.monotonic() > limit:
                raise JourneyFailed(f"not projected within {timeout}s: {what}")
            if self.stopping:
                raise BudgetSpent
            await asyncio.sleep(0.3)

    async def projected(self, schema: str, table: str, ident: Any, extra: str = "") -> None:
        await self.until(
            lambda: self.sql(
                f'SELECT 1 FROM "{schema}"."{table}" WHERE id = $1::uuid {extra}', str(ident)
            ),
            f"{schema}.{table} {ident}",
        )

    # -- steps -----------------------------------------------------------------------------------
    async def company(
        self, region: str, roles: tuple[str, ...] = ("participant", "customer")
    ) -> tuple[uuid.UUID, dict[str, str]]:
        operator = self.token("operator")
        created = await self.ok(
            "register_company",
            "catalog",
            "POST",
            "/v1/participants",
            operator,
            {
                "name": f"Chaos Robotics {uuid.uuid4().hex[:6]} Co.",
                "uscc": uscc(region),
                "region_code": region,
                "roles": list(roles),
            },
        )
        pid = uuid.UUID(created["id"])
        await self.ok(
            "approve_company", "catalog", "POST", f"/v1/participants/{pid}/approve", operator
        )
        return pid, self.token(*roles, participant_id=pid)

    async def active_in(self, schema: str, pid: uuid.UUID) -> None:
        await self.projected(schema, "participants", pid, "AND status = 'active'")

    async def listed(self, owner: dict[str, str], price_terms: dict[str, Any]) -> str:
        product = await self.ok(
            "create_product",
            "catalog",
            "POST",
            "/v1/data-products",
            owner,
            {
                "title": f"Press telemetry {uuid.uuid4().hex[:6]}",
                "description": "Per-second vibration and temperature of 40 presses.",
                "keywords": ["vibration"],
                "domain": "industrial_manufacturing",
                "product_form": "dataset",
                "classification": "general",
                "provenance": "collected",
                "update_frequency": "daily",
                "format": "parquet",
                "license": "datapark-standard-1.0",
                "contact": "data@press.example",
                "sample_sha256": sha("sample"),
            },
        )
        pid = product["id"]
        await self.ok("submit_product", "catalog", "POST", f"/v1/data-products/{pid}/submit", owner)
        await self.ok(
            "review_product",
            "catalog",
            "POST",
            f"/v1/data-products/{pid}/review",
            self.token("operator"),
            {"decision": "approved", "document_hashes": [sha("deed")]},
        )
        listed = await self.ok(
            "list_product",
            "catalog",
            "POST",
            f"/v1/data-products/{pid}/listings",
            owner,
            {"venue_code": "BJIDE", "price_terms": price_terms},
        )
        listing_id: str = next(
            x["listing_id"] for x in listed["listings"] if x["venue_code"] == "BJIDE"
        )
        # tradable in trading: the product and the venue listing both listed
        await self.projected(
            "trading",
            "listings",
            listing_id,
            "AND product_state = 'listed' AND listing_state = 'listed'",
        )
        return listing_id

    async def fund(self, pid: uuid.UUID, amount: str) -> None:
        await self.ok(
            "deposit",
            "trading",
            "POST",
            f"/v1/accounts/{pid}/deposits",
            self.token("operator"),
            {"amount": amount, "reference": f"bank-{uuid.uuid4().hex[:8]}"},
        )

    async def fleet(self, lessor: dict[str, str]) -> tuple[str, str]:
        model = await self.ok(
            "create_robot_model",
            "catalog",
            "POST",
            "/v1/robot-models",
            lessor,
            {
                "maker": "Estun",
                "name": f"ER-{uuid.uuid4().hex[:4]}",
                "category": "industrial_arm",
                "specs": {"payload_kg": 20},
            },
        )
        unit = await self.ok(
            "create_robot_unit",
            "catalog",
            "POST",
            "/v1/robot-units",
            lessor,
            {
                "model_id": model["id"],
                "serial_number": f"SN-{uuid.uuid4().hex[:12]}",
                "acquisition_cost": {"amount": "1200000.00", "currency": "CNY"},
                "salvage_value": {"amount": "0.00", "currency": "CNY"},
                "acquired_on": date.today().isoformat(),
                "useful_life_months": 60,
                "location": "Hall 3",
            },
        )
        offering = await self.ok(
            "create_offering",
            "catalog",
            "POST",
            "/v1/rental-offerings",
            lessor,
            {
                "title": "Welding robot",
                "target_kind": "unit",
                "unit_id": unit["id"],
                "kit_id": None,
                "modes": ["short_term", "long_term", "financing_lease", "service_lease"],
                "rate_card": {
                    "hour": {"amount": "100.00", "currency": "CNY"},
                    "day": {"amount": "2000.00", "currency": "CNY"},
                    "week": {"amount": "9000.00", "currency": "CNY"},
                    "month": {"amount": "40000.00", "currency": "CNY"},
                },
                "service_terms": {
                    "usage_unit": "procedure",
                    "price_per_use": {"amount": "5000.00", "currency": "CNY"},
                    "monthly_minimum": {"amount": "40000.00", "currency": "CNY"},
                },
                "deposit": {"amount": "5000.00", "currency": "CNY"},
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
            },
        )
        await self.projected("rental", "offerings", offering["id"])
        await self.projected("rental", "fleet_units", unit["id"])
        return unit["id"], offering["id"]

    # -- journeys --------------------------------------------------------------------------------
    async def order_journey(self) -> None:
        (seller, seller_h), (buyer, buyer_h) = await asyncio.gather(
            self.company(BEIJING), self.company(BEIJING)
        )
        await self.active_in("trading", seller)
        await self.active_in("trading", buyer)
        listing = await self.listed(
            seller_h, {"kind": "fixed", "price": {"amount": "600.00", "currency": "CNY"}}
        )
        await self.fund(buyer, "1000.00")
        placed = await self.ok(
            "place_order",
            "trading",
            "POST",
            "/v1/orders",
            buyer_h,
            {
                "listing_id": listing,
                "policy": {
                    "purpose": "predictive maintenance model",
                    "permitted_uses": ["analytics", "model_training"],
                    "territory": ["CN"],
                },
            },
        )
        agreement = placed["agreement"]["id"]
        transfer = await self.ok(
            "request_transfer",
            "trading",
            "POST",
            f"/v1/agreements/{agreement}/transfers",
            buyer_h,
            {},
        )
        await self.ok(
            "start_transfer",
            "trading",
            "POST",
            f"/v1/transfers/{transfer['id']}/start",
            seller_h,
            {"endpoint": "https://data.example.cn/feeds/press"},
        )
        await self.ok(
            "confirm_transfer",
            "trading",
            "POST",
            f"/v1/transfers/{transfer['id']}/confirm",
            buyer_h,
        )

    async def negotiation_journey(self) -> None:
        (seller, seller_h), (buyer, buyer_h) = await asyncio.gather(
            self.company(BEIJING), self.company(BEIJING)
        )
        await self.active_in("trading", seller)
        await self.active_in("trading", buyer)
        listing = await self.listed(seller_h, {"kind": "negotiable"})
        terms = {
            "pricing": {"kind": "fixed", "price": {"amount": "500.00", "currency": "CNY"}},
            "policy": {
                "purpose": "credit scoring",
                "permitted_uses": ["analytics"],
                "territory": ["CN-BJ"],
                "duration_seconds": 180 * 24 * 3600,
            },
        }
        opened = await self.ok(
            "open_negotiation",
            "trading",
            "POST",
            "/v1/negotiations",
            seller_h,
            {"listing_id": listing, "terms": terms, "consumer_id": str(buyer)},
        )
        nid = opened["id"]
        for who, step in ((buyer_h, "accept"), (seller_h, "agree"), (buyer_h, "verify")):
            await self.ok(
                f"negotiation_{step}", "trading", "POST", f"/v1/negotiations/{nid}/{step}", who
            )
        await self.fund(buyer, "600.00")
        await self.ok(
            "negotiation_finalize", "trading", "POST", f"/v1/negotiations/{nid}/finalize", seller_h
        )

    async def booking_race(self) -> None:
        lessor_id, lessor = await self.company(BEIJING)
        await self.active_in("rental", lessor_id)
        unit, offering = await self.fleet(lessor)
        customers = await asyncio.gather(*(self.company(BEIJING) for _ in range(3)))
        for pid, _ in customers:
            await self.active_in("rental", pid)
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            days=random.randint(5, 60)
        )
        racers = 12
        outcomes = await asyncio.gather(
            *(
                self.call(
                    "book_robot",
                    "rental",
                    "POST",
                    "/v1/bookings",
                    customers[i % len(customers)][1],
                    {
                        "offering_id": offering,
                        "start": (base + timedelta(minutes=5 * i)).isoformat(),
                        "end": (base + timedelta(minutes=5 * i, hours=3)).isoformat(),
                    },
                )
                for i in range(racers)
            )
        )
        won = [o for o in outcomes if o.status == 201]
        self.ledger.races.append(
            {
                "unit_id": unit,
                "offering_id": offering,
                "racers": racers,
                "statuses": sorted(str(o.status) for o in outcomes),
                "won": [o.resource_id for o in won],
            }
        )
        for i, outcome in enumerate(outcomes):
            if outcome.status == 201:
                booked_by = customers[i % len(customers)][1]
                await self.ok(
                    "confirm_booking",
                    "rental",
                    "POST",
                    f"/v1/bookings/{outcome.resource_id}/confirm",
                    booked_by,
                )

    async def lease_journey(self, region: str) -> None:
        today = date.today()
        lease = await self.lease_paid_upfront(region, today)
        if lease is None:
            return
        path, lessor, lessee = lease
        await self.ok(
            "activate_lease",
            "rental",
            "POST",
            f"{path}/activate",
            lessor,
            {"delivery_accepted_on": today.isoformat()},
        )
        await self.ok(
            "pay_instalment",
            "rental",
            "POST",
            f"{path}/payments",
            lessee,
            {"amount": {"amount": "30000.00", "currency": "CNY"}},
        )

    async def lease_paid_upfront(
        self, region: str, today: date, *, lessee_in_subsidy: bool = False
    ) -> tuple[str, dict[str, str], dict[str, str]] | None:
        """A Beijing lessor's financing lease to a company of ``region`` starting ``today``, up
        to its activation: applied, approved, signed and its upfront paid. The lease's path and
        the lessor's and lessee's headers; None when it was not approved. With
        ``lessee_in_subsidy`` it first waits for subsidy's projection of the lessee."""
        (lessor_id, lessor), (lessee_id, lessee) = await asyncio.gather(
            self.company(BEIJING), self.company(region)
        )
        await self.active_in("rental", lessor_id)
        await self.active_in("rental", lessee_id)
        if lessee_in_subsidy:
            await self.projected("subsidy", "participants", lessee_id)
        _, offering = await self.fleet(lessor)
        await self.ok(
            "lessor_financials",
            "rental",
            "PUT",
            f"/v1/lessors/{lessor_id}/financials",
            lessor,
            {"net_assets": {"amount": "100000000", "currency": "CNY"}, "as_of": today.isoformat()},
        )
        applied = await self.ok(
            "apply_lease",
            "rental",
            "POST",
            "/v1/lease-applications",
            lessee,
            {
                "mode": "financing",
                "equipment_cost": {"amount": "1000000", "currency": "CNY"},
                "down_payment_rate": "0.10",
                "term_months": 36,
                "annual_rate": "0.06",
                "start_date": today.isoformat(),
                "offering_id": offering,
                "monthly_net_operating_cash_flow": {"amount": "40000", "currency": "CNY"},
            },
        )
        if applied.get("state") != "approved":
            return None
        path = f"/v1/leases/{applied['id']}"
        signed = await self.ok("sign_lease", "rental", "POST", f"{path}/sign", lessor)
        await self.ok(
            "pay_upfront",
            "rental",
            "POST",
            f"{path}/payments",
            lessee,
            {"amount": signed["upfront_due"]},
        )
        return path, lessor, lessee

    async def claims_round(self) -> None:
        applicant_id, applicant = await self.company(FUJIAN, ("participant",))
        await self.projected("subsidy", "participants", applicant_id)
        designation = await self.ok(
            "create_designation",
            "subsidy",
            "POST",
            "/v1/designations",
            self.token("operator"),
            {
                "kind": "park",
                "name": f"Fuzhou Data Element Park {uuid.uuid4().hex[:8]}",
                "region_code": FUJIAN,
                "designated_on": "2025-11-20",
            },
        )
        # four applications of 1,400,000 against a 5,000,000 cap: the fourth finds 800,000 left
        claims = []
        for n in range(4):
            created = await self.ok(
                "apply_subsidy",
                "subsidy",
                "POST",
                "/v1/applications",
                applicant,
                {
                    "policy": "fujian_data_park",
                    "designation_id": designation["id"],
                    "applied_on": "2025-12-01",
                    "amount": {"amount": "1400000.00", "currency": "CNY"},
                    "documents": [{"name": f"letter-{n}.pdf", "sha256": sha(f"letter-{n}")}],
                },
            )
            claims.append(created["id"])
        reviewer = self.token("reviewer")
        reviewed = await asyncio.gather(
            *(
                self.call(
                    "review_claim",
                    "subsidy",
                    "POST",
                    f"/v1/claims/{c}/review",
                    reviewer,
                    {"decision": "approve"},
                )
                for c in claims
            )
        )
        granted = Decimal(0)
        for outcome in reviewed:
            if outcome.status == 200 and isinstance(outcome.body, dict):
                granted += Decimal(outcome.body["granted"]["amount"])
                if outcome.body["status"] == "funds_reserved":
                    await self.call(
                        "disburse_claim",
                        "subsidy",
                        "POST",
                        f"/v1/claims/{outcome.resource_id}/disburse",
                        reviewer,
                        {"payment_reference": f"FJ-{uuid.uuid4().hex[:8]}"},
                    )
        self.ledger.claim_rounds.append(
            {
                "designation_id": designation["id"],
                "statuses": [str(o.status) for o in reviewed],
                "granted": str(granted),
                "cap": str(FUJIAN_CAP),
            }
        )

    # -- driver ----------------------------------------------------------------------------------
    def journeys(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return [
            ("order", self.order_journey),
            ("booking_race", self.booking_race),
            ("lease_beijing", lambda: self.lease_journey(BEIJING)),
            ("negotiation", self.negotiation_journey),
            ("claims", self.claims_round),
            ("lease_xiongan", lambda: self.lease_journey(XIONGAN)),
        ]

    async def user(self, n: int) -> None:
        plan = self.journeys()
        for turn in itertools.count(n):
            name, journey = plan[turn % len(plan)]
            if self.spent():
                return
            try:
                await journey()
                self.ledger.journeys[name] = self.ledger.journeys.get(name, 0) + 1
            except BudgetSpent:
                task = asyncio.current_task()
                step = self.doing.get(task.get_name() if task else "", "?")
                self.ledger.unfinished.append(f"{name}: {step}")
                return
            except JourneyFailed as failed:
                self.ledger.journey_errors.append(f"{name}: {failed}")

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
        for service, url in self.urls.items():
            self.clients[service] = httpx.AsyncClient(
                base_url=url, timeout=REQUEST_TIMEOUT, limits=limits
            )
        try:
            await asyncio.gather(
                *(
                    asyncio.create_task(self.user(n), name=f"user-{n}")
                    for n in range(self.concurrency)
                )
            )
        finally:
            for client in self.clients.values():
                await client.aclose()


class JourneyFailed(Exception):
    """A step got an answer no retry can change (a 4xx, or the retry window closed)."""
