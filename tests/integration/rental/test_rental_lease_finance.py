"""Lease finance over HTTP on the real Postgres and Kafka (#11, #17 items 4 and 7): VAT on
receivables and an invoice per payment (listed by GET, published as ``invoice_issued``), the
lessor's classification in every lease event, sale-and-leaseback without a catalog unit,
LPR-linked rates repriced on the anniversary, the risk review's guarantor and related-party
rules, bounded dates (422, never 500) and server-dated lessee payments."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from integration.rental.rental_park import Park, cny
from support.helpers import KAFKA, eventually

from datapark_contracts.envelope import Envelope
from datapark_contracts.events.rental import (
    LeaseActivated,
    LeaseApproved,
    LeaseInvoiceIssued,
    LeaseRepriced,
)
from datapark_contracts.topics import RENTAL_ORDERS
from datapark_eventing.replay import replay
from datapark_rental.leases import floating
from datapark_rental.leases.parameters import lpr
from datapark_rental.leases.schedule import due_date
from datapark_rental.leases.service import LeaseService

pytestmark = pytest.mark.integration
D = Decimal
TODAY = datetime.now(UTC).date()
TERMS = {
    "mode": "financing",
    "equipment_cost": cny("1000000"),
    "down_payment_rate": "0.10",
    "term_months": 36,
    "annual_rate": "0.06",
}


def vat_of(taxable: Decimal, rate: str) -> Decimal:
    """tax = taxable × rate / (1 + rate), half-up to the fen (leasing.md, VAT-inclusive)."""
    r = D(rate)
    return (taxable * r / (1 + r)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


class Lessor:
    def __init__(
        self, park: Park, lessor_id: uuid.UUID, headers: dict[str, str], offering_id: uuid.UUID
    ) -> None:
        self.park, self.rental = park, park.rental
        self.id, self.headers, self.offering_id = lessor_id, headers, offering_id

    async def apply(self, lessee: dict[str, str], **overrides: Any) -> Any:
        body = {
            **TERMS,
            "start_date": TODAY.isoformat(),
            "offering_id": str(self.offering_id),
            "monthly_net_operating_cash_flow": cny("40000"),
        } | overrides
        return await self.rental.post("/v1/lease-applications", headers=lessee, json=body)

    async def signed(self, lessee: dict[str, str], **overrides: Any) -> dict[str, Any]:
        applied = await self.apply(lessee, **overrides)
        assert applied.status_code == 201, applied.text
        assert applied.json()["state"] == "approved", applied.json()["refusal"]
        signed = await self.rental.post(
            f"/v1/leases/{applied.json()['id']}/sign", headers=self.headers
        )
        assert signed.status_code == 200, signed.text
        return dict(signed.json())

    async def active(
        self, lessee: dict[str, str], accepted_on: date, **overrides: Any
    ) -> dict[str, Any]:
        """Signed, down payment paid and activated on ``accepted_on``: a lease whose rent
        started in the past was signed (as if) and its down payment received that day, which
        the lessor records back-dated; rent never starts before signing."""
        lease = await self.signed(lessee, **overrides)
        return await self.park.activate_signed(
            lease, lessee=lessee, lessor=self.headers, accepted_on=accepted_on
        )


async def a_lessor(
    park: Park, *, group_id: str | None = None, net_assets: str = "100000000"
) -> Lessor:
    lessor_id, headers = await park.company(group_id=group_id)
    offering_id = await park.offering(headers, unit_id=await park.unit(headers))
    recorded = await park.rental.put(
        f"/v1/lessors/{lessor_id}/financials",
        headers=headers,
        json={"net_assets": cny(net_assets), "as_of": TODAY.isoformat()},
    )
    assert recorded.status_code == 200, recorded.text
    return Lessor(park, lessor_id, headers, offering_id)


@pytest.fixture(scope="module")
async def lessor(catalog: Any, rental: Any, token: Any) -> Lessor:
    return await a_lessor(Park(catalog, rental, token))


async def lease_events(lease_id: str, until: str) -> list[Envelope]:
    async def probe() -> list[Envelope] | None:
        found = [
            r.envelope
            async for r in replay(KAFKA, [RENTAL_ORDERS])
            if r.envelope is not None and r.envelope.subject == lease_id
        ]
        return found if any(e.type.split(".")[3] == until for e in found) else None

    return await eventually(probe, timeout=30, interval=0.5)


async def leases_of(park: Park, lessee_id: uuid.UUID) -> int:
    rows = await park.sql(
        "SELECT count(*) FROM rental.leases WHERE lessee_participant_id = :l", l=lessee_id
    )
    return int(rows[0][0])


# --------------------------------------------------------------------------- #17 item 4


@pytest.mark.parametrize("path", ["/v1/lease-quotes", "/v1/lease-applications"])
async def test_a_year_9999_start_is_a_422_naming_the_field_and_the_next_request_works(
    lessor: Lessor, path: str
) -> None:
    lessee_id, lessee = await lessor.park.company()
    body = {
        **TERMS,
        "start_date": "9999-12-01",
        "offering_id": str(lessor.offering_id),
        "monthly_net_operating_cash_flow": cny("40000"),
    }
    if path == "/v1/lease-quotes":
        body = {k: v for k, v in body.items() if k in TERMS or k == "start_date"}

    refused = await lessor.rental.post(path, headers=lessee, json=body)
    after = await lessor.rental.post(
        path, headers=lessee, json=body | {"start_date": TODAY.isoformat()}
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["start_date"]
    assert after.status_code in (200, 201), after.text
    assert await leases_of(lessor.park, lessee_id) == (1 if path.endswith("applications") else 0)


async def test_every_lease_date_is_bounded(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY)
    path = f"/v1/leases/{lease['id']}"
    rental, owner = lessor.rental, lessor.headers

    probes = [
        (
            rental.post(
                f"{path}/payments", headers=owner, json={"amount": cny(1), "paid_on": "9999-12-31"}
            ),
            "paid_on",
        ),
        (
            rental.post(
                f"{path}/payments", headers=owner, json={"amount": cny(1), "paid_on": "1900-01-01"}
            ),
            "paid_on",
        ),
        (
            rental.post(
                f"{path}/buyout", headers=owner, json={"amount": cny(1), "on": "9999-12-31"}
            ),
            "on",
        ),
        (
            rental.post(
                f"{path}/terminate", headers=owner, json={"reason": "x", "on": "9999-12-31"}
            ),
            "on",
        ),
        (rental.get(f"{path}/buyout-quote?on=9999-12-31", headers=owner), "on"),
        (rental.get(f"{path}/termination-statement?on=0001-01-01", headers=owner), "on"),
        (
            rental.post(
                f"{path}/usage", headers=owner, json={"quantity": "1", "occurred_on": "9999-12-31"}
            ),
            "occurred_on",
        ),
        (rental.post(f"{path}/usage-invoices", headers=owner, json={"month": "0000-01"}), "month"),
        (
            rental.put(
                f"/v1/lessors/{lessor.id}/financials",
                headers=owner,
                json={"net_assets": cny("100000000"), "as_of": "9999-12-31"},
            ),
            "as_of",
        ),
    ]
    for request, field in probes:
        response = await request
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    still = (await rental.get(path, headers=owner)).json()
    assert (still["state"], still["credit"]) == ("active", cny("0.00"))


# --------------------------------------------------------------------------- #17 item 7


async def test_lessee_payments_are_dated_by_the_server(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.signed(lessee)
    path = f"/v1/leases/{lease['id']}"
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    amount = {"amount": cny("1000")}

    back_dated = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json=amount | {"paid_on": yesterday}
    )
    future = await lessor.rental.post(
        f"{path}/payments",
        headers=lessor.headers,
        json=amount | {"paid_on": (TODAY + timedelta(days=1)).isoformat()},
    )
    before_signing = await lessor.rental.post(
        f"{path}/payments", headers=lessor.headers, json=amount | {"paid_on": yesterday}
    )
    assert (back_dated.status_code, future.status_code, before_signing.status_code) == (
        403,
        422,
        422,
    )
    assert future.json()["errors"][0]["field"] == "paid_on"
    assert before_signing.json()["errors"][0]["field"] == "paid_on"
    untouched = (await lessor.rental.get(path, headers=lessee)).json()
    assert untouched["down_payment_paid"] == cny("0.00")

    today = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json=amount | {"paid_on": TODAY.isoformat()}
    )
    server_dated = await lessor.rental.post(f"{path}/payments", headers=lessee, json=amount)
    assert (today.status_code, server_dated.status_code) == (201, 201)
    assert server_dated.json()["paid_on"] == TODAY.isoformat()

    # Signed a week ago (as if): the lessor and an operator may now back-date within it.
    await lessor.park.sql(
        "UPDATE rental.leases SET signed_on = :d WHERE id = :i",
        d=TODAY - timedelta(days=7),
        i=uuid.UUID(lease["id"]),
    )
    by_lessor = await lessor.rental.post(
        f"{path}/payments",
        headers=lessor.headers,
        json=amount | {"paid_on": (TODAY - timedelta(days=7)).isoformat()},
    )
    operator = lessor.park.operator
    by_operator = await lessor.rental.post(
        f"{path}/payments", headers=operator, json=amount | {"paid_on": yesterday}
    )
    too_early = await lessor.rental.post(
        f"{path}/payments",
        headers=operator,
        json=amount | {"paid_on": (TODAY - timedelta(days=8)).isoformat()},
    )
    still_lessee = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json=amount | {"paid_on": yesterday}
    )
    assert (by_lessor.status_code, by_operator.status_code) == (201, 201), by_lessor.text
    assert by_lessor.json()["paid_on"] == (TODAY - timedelta(days=7)).isoformat()
    assert (too_early.status_code, still_lessee.status_code) == (422, 403)
    final = (await lessor.rental.get(path, headers=lessee)).json()
    assert final["down_payment_paid"] == cny("4000.00")  # the four accepted payments only


async def test_a_lessee_cannot_back_date_a_buyout(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY - timedelta(days=40))
    path = f"/v1/leases/{lease['id']}"

    refused = await lessor.rental.post(
        f"{path}/buyout",
        headers=lessee,
        json={"amount": cny(1), "on": (TODAY - timedelta(days=30)).isoformat()},
    )

    assert refused.status_code == 403
    assert (await lessor.rental.get(path, headers=lessee)).json()["state"] == "active"


# --------------------------------------------------------------------------- VAT and invoices


async def test_payments_yield_invoices_listed_by_get_and_published_with_the_classification(
    lessor: Lessor, token: Any
) -> None:
    lessee_id, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY - timedelta(days=40))
    path = f"/v1/leases/{lease['id']}"
    (uscc,) = (
        await lessor.park.sql("SELECT uscc FROM rental.participants WHERE id = :i", i=lessee_id)
    )[0]

    assert (lease["classification"], lease["vat_basis"]) == ("finance", "whole_rent")
    assert lease["classification_criteria"]["ownership_transfers"] is True
    receivables = (await lessor.rental.get(f"{path}/receivables", headers=lessee)).json()
    receivables = receivables["items"]
    # 27,379.74 × 0.13 / 1.13 = 3,149.88; net 24,229.86
    assert (receivables[0]["vat_rate"], receivables[0]["vat_tax"], receivables[0]["vat_net"]) == (
        "0.13000000",
        cny("3149.88"),
        cny("24229.86"),
    )
    paid = await lessor.rental.post(
        f"{path}/payments", headers=lessee, json={"amount": cny("27379.74")}
    )
    assert paid.status_code == 201, paid.text

    invoices = (await lessor.rental.get(f"{path}/invoices", headers=lessee)).json()["items"]
    # The down payment 100,000 (13 %: 11,504.42 tax), then the installment payment: the whole
    # rent (penalty, interest, principal alike) is taxed at 13 %.
    assert [(i["total"], i["tax"], i["net"]) for i in invoices] == [
        (cny("100000.00"), cny("11504.42"), cny("88495.58")),
        (cny("27379.74"), cny("3149.88"), cny("24229.86")),
    ]
    assert {i["buyer_uscc"] for i in invoices} == {uscc}
    assert {i["rate"] for i in invoices} == {"0.13000000"}
    assert invoices[1]["payment_id"] == paid.json()["id"]
    assert len({i["number"] for i in invoices}) == 2
    assert sum(D(line["amount"]["amount"]) for line in invoices[1]["lines"]) == D("27379.74")
    stranger = token("participant", participant_id=uuid.uuid4())
    auditor = token("auditor", participant_id=uuid.uuid4())
    assert (await lessor.rental.get(f"{path}/invoices", headers=stranger)).status_code == 404
    assert len((await lessor.rental.get(f"{path}/invoices", headers=auditor)).json()["items"]) == 2
    # the lease's invoices page oldest first, one at a time here
    first_page = (await lessor.rental.get(f"{path}/invoices?limit=1", headers=lessee)).json()
    assert [i["number"] for i in first_page["items"]] == [invoices[0]["number"]]
    rest = await lessor.rental.get(
        f"{path}/invoices?limit=1&cursor={first_page['next_cursor']}", headers=lessee
    )
    assert [i["number"] for i in rest.json()["items"]] == [invoices[1]["number"]]
    assert rest.json()["next_cursor"] is None
    numbers = {i["number"] for i in invoices}
    for who, sees in ((lessee, True), (lessor.headers, True), (stranger, False)):
        page = await lessor.rental.get("/v1/lease-invoices?limit=200", headers=who)
        assert page.status_code == 200, page.text
        assert (numbers <= {i["number"] for i in page.json()["items"]}) is sees
    mine = (await lessor.rental.get("/v1/lease-invoices?limit=1", headers=lessee)).json()
    assert mine["items"][0]["number"] == invoices[1]["number"]  # newest first
    older = await lessor.rental.get(
        f"/v1/lease-invoices?limit=1&cursor={mine['next_cursor']}", headers=lessee
    )
    assert older.json()["items"][0]["number"] == invoices[0]["number"]
    later = f"/v1/lease-invoices?issued_from={(TODAY + timedelta(days=1)).isoformat()}"
    assert (await lessor.rental.get(later, headers=lessee)).json()["items"] == []
    backwards = await lessor.rental.get(
        f"/v1/lease-invoices?issued_from={TODAY.isoformat()}&issued_to=2020-01-01", headers=lessee
    )
    assert (backwards.status_code, backwards.json()["errors"][0]["field"]) == (422, "issued_from")
    far = await lessor.rental.get("/v1/lease-invoices?issued_to=9999-12-31", headers=lessee)
    assert far.status_code == 422
    assert far.json()["errors"][0]["field"] == "issued_to"

    envelopes = await lease_events(lease["id"], "invoice_issued")
    kinds = [e.type.split(".")[3] for e in envelopes]
    assert kinds[:7] == [
        "submitted",
        "approved",
        "signed",
        "down_payment_billed",
        "payment_received",
        "invoice_issued",
        "activated",
    ]
    envelopes = await eventually(
        lambda: _with_count(lease["id"], "invoice_issued", 2), timeout=30, interval=0.5
    )
    issued = [
        LeaseInvoiceIssued.model_validate(e.data)
        for e in envelopes
        if e.type.endswith("invoice_issued.v1")
    ]
    assert [(x.number, x.total, x.tax) for x in issued] == [
        (i["number"], D(i["total"]["amount"]), D(i["tax"]["amount"])) for i in invoices
    ]
    assert issued[0].buyer_uscc == uscc
    activated = LeaseActivated.model_validate(
        next(e.data for e in envelopes if e.type.endswith("lease.activated.v1"))
    )
    assert activated.classification == "finance"
    assert activated.classification_criteria is not None
    assert activated.classification_criteria["ownership_transfers"] is True
    assert (activated.vat_basis, activated.structure, activated.rate_type) == (
        "whole_rent",
        "direct",
        "fixed",
    )


async def _with_count(lease_id: str, kind: str, count: int) -> list[Envelope] | None:
    found = [
        r.envelope
        async for r in replay(KAFKA, [RENTAL_ORDERS])
        if r.envelope is not None and r.envelope.subject == lease_id
    ]
    return found if [e.type.split(".")[3] for e in found].count(kind) >= count else None


async def test_a_deposit_set_against_a_terminated_lease_is_invoiced(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    lease = await lessor.active(lessee, TODAY - timedelta(days=40), deposit=cny("50000"))
    path = f"/v1/leases/{lease['id']}"

    terminated = await lessor.rental.post(
        f"{path}/terminate", headers=lessor.headers, json={"reason": "payments stopped"}
    )

    assert terminated.status_code == 200, terminated.text
    invoices = (await lessor.rental.get(f"{path}/invoices", headers=lessee)).json()["items"]
    # Upfront: down payment 100,000 taxed (11,504.42), the 50,000 deposit held untaxed;
    # at termination the deposit pays rent: 50,000 × 0.13 / 1.13 = 5,752.21.
    assert [(i["total"], i["tax"], i["untaxed"]) for i in invoices] == [
        (cny("100000.00"), cny("11504.42"), cny("50000.00")),
        (cny("50000.00"), cny("5752.21"), cny("0.00")),
    ]
    assert invoices[1]["issued_on"] == TODAY.isoformat()


# --------------------------------------------------------------------------- sale-and-leaseback


LEASEBACK = {
    "structure": "sale_and_leaseback",
    "equipment_cost": cny("500000"),
    "down_payment_rate": "0",
    "fees": cny("1000"),
    "asset": {
        "category": "industrial_arm",
        "serial_number": "SN-OWN-0001",
        "description": "the lessee's own welding arm",
        "appraised_value": cny("700000"),
    },
}


async def test_a_sale_and_leaseback_needs_no_catalog_unit_and_taxes_interest_only(
    lessor: Lessor,
) -> None:
    lessee_id, lessee = await lessor.park.company()
    body = LEASEBACK | {"offering_id": None, "lessor_participant_id": str(lessor.id)}
    lease = await lessor.active(lessee, TODAY - timedelta(days=40), **body)
    path = f"/v1/leases/{lease['id']}"

    assert (lease["structure"], lease["offering_id"], lease["vat_basis"]) == (
        "sale_and_leaseback",
        None,
        "interest_only",
    )
    assert lease["equipment_cost"] == cny("500000.00")  # the lessor's cost: the purchase price
    assert lease["asset"]["serial_number"] == "SN-OWN-0001"
    assert lease["asset"]["purchase_price"] == cny("500000.00")
    assert lease["asset"]["appraised_value"] == cny("700000.00")
    assert lease["classification"] == "finance"
    assert lease["classification_criteria"]["lessor_asset"] == "financial_asset"
    receivables = (await lessor.rental.get(f"{path}/receivables", headers=lessee)).json()
    first = receivables["items"][0]
    assert first["interest"] == cny("2500.00")  # 500,000 × 0.06 / 12
    # 6 % on the interest only: 2,500 × 0.06 / 1.06 = 141.509… → 141.51; principal untaxed
    assert (first["vat_rate"], first["vat_tax"], first["vat_net"]) == (
        "0.06000000",
        cny("141.51"),
        cny("2358.49"),
    )
    assert first["vat_untaxed"] == first["principal"]

    paid = (
        await lessor.rental.post(f"{path}/payments", headers=lessee, json={"amount": cny("20000")})
    ).json()
    allocated = [(a["component"], D(a["amount"]["amount"])) for a in paid["allocations"]]
    taxed = sum(amount for component, amount in allocated if component != "principal")
    untaxed = sum(amount for component, amount in allocated if component == "principal")
    invoices = (await lessor.rental.get(f"{path}/invoices", headers=lessee)).json()["items"]
    # The fees (1,000: 56.60 at 6 %), then penalty + interest of the installment payment.
    assert [(i["total"], i["tax"], i["untaxed"]) for i in invoices] == [
        (cny("1000.00"), cny("56.60"), cny("0.00")),
        (cny(f"{taxed:.2f}"), cny(f"{vat_of(taxed, '0.06'):.2f}"), cny(f"{untaxed:.2f}")),
    ]
    assert {i["rate"] for i in invoices} == {"0.06000000"}

    envelopes = await lease_events(lease["id"], "activated")
    approved = LeaseApproved.model_validate(
        next(e.data for e in envelopes if e.type.endswith("lease.approved.v1"))
    )
    asset_id = uuid.UUID(lease["asset"]["id"])
    assert (approved.structure, approved.offering_id, approved.unit_ids) == (
        "sale_and_leaseback",
        asset_id,
        (asset_id,),
    )
    assert approved.mode == "financing_lease"
    assert approved.lessee_participant_id == lessee_id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"offering_id": "OFFERING"}, "offering_id"),
        ({"asset": None}, "asset"),
        ({"lessor_participant_id": None}, "lessor_participant_id"),
        ({"lessor_participant_id": str(uuid.UUID(int=7))}, "lessor_participant_id"),
        ({"mode": "long_term"}, "structure"),
        ({"asset": LEASEBACK["asset"] | {"appraised_value": cny(0)}}, "asset.appraised_value"),
        ({"asset": LEASEBACK["asset"] | {"serial_number": ""}}, "asset.serial_number"),
    ],
)
async def test_a_bad_sale_and_leaseback_is_refused_naming_the_field(
    lessor: Lessor, change: dict[str, Any], field: str
) -> None:
    lessee_id, lessee = await lessor.park.company()
    body = LEASEBACK | {"offering_id": None, "lessor_participant_id": str(lessor.id)} | change
    if body.get("offering_id") == "OFFERING":
        body["offering_id"] = str(lessor.offering_id)

    refused = await lessor.apply(lessee, **body)

    assert refused.status_code == 422, refused.text
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert await leases_of(lessor.park, lessee_id) == 0


# --------------------------------------------------------------------------- LPR-linked


async def test_an_lpr_linked_lease_is_repriced_on_its_anniversary(lessor: Lessor) -> None:
    _, lessee = await lessor.park.company()
    floating_terms = {"rate_type": "lpr_linked", "lpr_spread": "0.0055", "annual_rate": None}
    quote = (
        await lessor.rental.post(
            "/v1/lease-quotes",
            headers=lessee,
            json={k: v for k, v in TERMS.items() if k != "annual_rate"}
            | {"start_date": "2024-06-15", "rate_type": "lpr_linked", "lpr_spread": "0.0055"},
        )
    ).json()
    assert (quote["lpr"], quote["annual_rate"]) == ("0.0345", "0.0400")  # 3.45 % + 0.55 %

    # One anniversary behind it (on 2026-11-30: accepted 2024-12-30 at 3.10 % + 0.55 %,
    # repriced 2025-12-30 at 3.00 % + 0.55 %).
    accepted = TODAY - timedelta(days=700)
    anniversary = due_date(accepted, 12)
    lease = await lessor.active(lessee, accepted, **floating_terms)
    expected = lpr(anniversary) + D("0.0055")

    assert lease["rate_type"] == "lpr_linked"
    assert D(lease["annual_rate"]) == expected
    assert lease["next_repricing_on"] == due_date(accepted, 24).isoformat()
    envelopes = await lease_events(lease["id"], "repriced")
    activated = LeaseActivated.model_validate(
        next(e.data for e in envelopes if e.type.endswith("lease.activated.v1"))
    )
    repriced = LeaseRepriced.model_validate(
        next(e.data for e in envelopes if e.type.endswith("lease.repriced.v1"))
    )
    assert (repriced.effective_from, repriced.from_period) == (anniversary, 13)
    assert repriced.lpr == lpr(anniversary)
    assert repriced.previous_annual_rate == lpr(accepted) + D("0.0055")
    assert repriced.annual_rate == expected
    assert repriced.outstanding_principal == repriced.schedule[11].balance
    assert repriced.lpr_spread == D("0.0055")
    assert activated.rate_type == "lpr_linked"
    receivables = (
        await lessor.rental.get(f"/v1/leases/{lease['id']}/receivables", headers=lessee)
    ).json()["items"]
    assert receivables[12]["interest"] == cny(f"{repriced.schedule[12].interest:.2f}")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rate_type": "lpr_linked", "lpr_spread": "0.01"}, "annual_rate"),
        ({"rate_type": "lpr_linked", "annual_rate": None}, "lpr_spread"),
        ({"lpr_spread": "0.01"}, "lpr_spread"),
        ({"annual_rate": None}, "annual_rate"),
        ({"rate_type": "lpr_linked", "annual_rate": None, "lpr_spread": "0.5"}, "lpr_spread"),
        (
            {"rate_type": "lpr_linked", "annual_rate": None, "lpr_spread": "0.001234567"},
            "lpr_spread",
        ),
        (
            {
                "rate_type": "lpr_linked",
                "annual_rate": None,
                "lpr_spread": "0.01",
                "start_date": "2023-01-01",
            },
            "start_date",
        ),
        ({"rate_type": "floating"}, "rate_type"),
    ],
)
async def test_bad_rate_terms_are_refused_naming_the_field(
    lessor: Lessor, change: dict[str, Any], field: str
) -> None:
    lessee_id, lessee = await lessor.park.company()

    refused = await lessor.apply(lessee, **change)

    assert refused.status_code == 422, refused.text
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert await leases_of(lessor.park, lessee_id) == 0


# --------------------------------------------------------------------------- risk review


async def test_a_residual_guarantee_names_a_registered_active_guarantor(lessor: Lessor) -> None:
    park = lessor.park
    lessee_id, lessee = await park.company()
    guarantor_id, _ = await park.company()
    suspended_id, _ = await park.company()
    suspended = await park.catalog.post(
        f"/v1/participants/{suspended_id}/suspend", headers=park.operator, json={"reason": "audit"}
    )
    assert suspended.status_code == 200, suspended.text

    async def projected() -> bool:
        rows = await park.sql(
            "SELECT status FROM rental.participants WHERE id = :i", i=suspended_id
        )
        return rows[0][0] == "suspended"

    await eventually(projected, timeout=30)
    mitigation = {"residual_guarantee": True}

    for named, status in (
        ({}, 422),
        ({"residual_guarantor_participant_id": str(uuid.uuid4())}, 422),
        ({"residual_guarantor_participant_id": str(lessee_id)}, 422),
        ({"residual_guarantor_participant_id": str(lessor.id)}, 422),
        ({"residual_guarantor_participant_id": str(suspended_id)}, 422),
    ):
        refused = await lessor.apply(lessee, mitigation=mitigation | named)
        assert refused.status_code == status, refused.text
        assert (
            refused.json()["errors"][0]["field"] == "mitigation.residual_guarantor_participant_id"
        )
    assert await leases_of(lessor.park, lessee_id) == 0

    accepted = await lessor.apply(
        lessee, mitigation=mitigation | {"residual_guarantor_participant_id": str(guarantor_id)}
    )
    assert accepted.status_code == 201, accepted.text
    ltv = next(c for c in accepted.json()["risk_checks"] if c["check"] == "ltv")
    assert ltv["inputs"]["residual_guarantor_participant_id"] == str(guarantor_id)
    assert accepted.json()["residual_guarantor_participant_id"] == str(guarantor_id)


async def test_related_parties_together_stay_within_thirty_percent_of_net_assets(
    catalog: Any, rental: Any, token: Any
) -> None:
    park = Park(catalog, rental, token)
    group = f"group-{uuid.uuid4().hex[:8]}"
    related_lessor = await a_lessor(park, group_id=group, net_assets="5000000")
    _, first = await park.company(group_id=group)
    _, second = await park.company(group_id=group)

    one = (await related_lessor.apply(first)).json()
    two = (await related_lessor.apply(second)).json()

    related = next(c for c in one["risk_checks"] if c["check"] == "related_party_concentration")
    assert (one["state"], related["outcome"], related["value"]) == ("approved", "passed", "0.1800")
    # 900,000 + 900,000 = 1,800,000 of 5,000,000 = 0.36 > 0.30 (each lessee alone: 0.18;
    # the group: 0.36 ≤ 0.50): over by 300,000.00.
    assert two["state"] == "rejected"
    assert [c["check"] for c in two["refusal"]] == ["related_party_concentration"]
    assert two["refusal"][0]["shortfall"] == {
        "ratio": "0.0600",
        "amount": cny("300000.00"),
        "monthly_cash_flow": None,
    }


async def test_the_sweeper_reprices_when_the_anniversary_comes(lessor: Lessor) -> None:
    """Accepted 360 days ago: no anniversary yet. The sweeper's pass on the anniversary
    (run here with that date as today) reprices it from the LPR then in force."""
    _, lessee = await lessor.park.company()
    floating_rate = {"rate_type": "lpr_linked", "lpr_spread": "0.0100", "annual_rate": None}
    accepted = TODAY - timedelta(days=360)
    anniversary = due_date(accepted, 12)
    lease = await lessor.active(lessee, accepted, **floating_rate)
    lease_id = uuid.UUID(lease["id"])
    assert lease["next_repricing_on"] == anniversary.isoformat()

    rental = lessor.rental
    settings = rental.app.state.settings

    async def sweep_on(day: date) -> None:
        async with rental.app.state.database.unit_of_work() as session:
            service = LeaseService(
                session,
                penalty_daily_rate=D(settings.penalty_daily_rate),
                grace_days=settings.penalty_grace_days,
                termination_fee_rate=D(settings.termination_fee_rate),
            )
            await floating.reprice_due(service, day, datetime.now(UTC))

    async def next_repricing() -> str:
        got = (await rental.get(f"/v1/leases/{lease_id}", headers=lessee)).json()
        return str(got["next_repricing_on"])

    await sweep_on(anniversary - timedelta(days=1))
    assert await next_repricing() == anniversary.isoformat()  # not before its day

    async def repriced_on_the_day() -> bool:
        # The app's own sweeper may hold the row (SKIP LOCKED): then the next pass takes it.
        await sweep_on(anniversary)
        return await next_repricing() == due_date(accepted, 24).isoformat()

    await eventually(repriced_on_the_day, timeout=30, interval=0.2)
    after = (await rental.get(f"/v1/leases/{lease_id}", headers=lessee)).json()
    assert D(after["annual_rate"]) == lpr(anniversary) + D("0.0100")
    facts = await lessor.park.sql(
        "SELECT payload FROM rental.outbox WHERE subject = :s AND event_type = :t",
        s=str(lease_id),
        t="datapark.rental.lease.repriced.v1",
    )
    assert len(facts) == 1
    repriced = LeaseRepriced.model_validate_json(facts[0][0])
    assert (repriced.effective_from, repriced.from_period) == (anniversary, 13)
    receivables = (await rental.get(f"/v1/leases/{lease_id}/receivables", headers=lessee)).json()
    receivables = receivables["items"]
    assert receivables[12]["interest"] == cny(f"{repriced.schedule[12].interest:.2f}")
    assert receivables[12]["principal"] == cny(f"{repriced.schedule[12].principal:.2f}")
    # Twelve installments fell due meanwhile, each announced with its VAT.
    due = await eventually(lambda: _fell_due(lessor.park, lease_id), timeout=30, interval=0.5)
    first = due[0]
    assert first["vat_rate"] == "0.13000000"
    assert D(first["vat_tax"]) == vat_of(D(first["amount"]), "0.13")
    assert D(first["vat_net"]) + D(first["vat_tax"]) == D(first["amount"])


async def _fell_due(park: Park, lease_id: uuid.UUID) -> list[dict[str, Any]] | None:
    rows = await park.sql(
        "SELECT payload FROM rental.outbox WHERE subject = :s AND event_type = :t ORDER BY aggseq",
        s=str(lease_id),
        t="datapark.rental.lease.installment_fell_due.v1",
    )
    return [json.loads(r[0]) for r in rows] or None
