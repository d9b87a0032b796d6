"""Use cases of valuations (数据资产评估) and balance-sheet records (入表)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from datapark_catalog.participants.repository import ParticipantRepository
from datapark_catalog.products.access import ensure_owner, ensure_visible
from datapark_catalog.products.models import DataProduct
from datapark_catalog.products.repository import ProductRepository
from datapark_catalog.terms.money import ZERO
from datapark_catalog.terms.schemas import amount_of
from datapark_catalog.valuations import methods
from datapark_catalog.valuations.balance_sheet import (
    BalanceSheetRecord,
    BookCostLine,
    BookPosition,
    Impairment,
    book_position,
    expensed_cost,
    expensed_research_cost,
    validate_record,
)
from datapark_catalog.valuations.cost_kinds import (
    AcquisitionMode,
    AssetClassification,
    CostLineKind,
    Phase,
)
from datapark_catalog.valuations.disclosure import Disclosure, Expensed, Item, disclose
from datapark_catalog.valuations.models import BalanceSheetRow, ValuationRow
from datapark_catalog.valuations.repository import ValuationRepository
from datapark_catalog.valuations.schemas import BalanceSheetIn, ValuationCreate
from datapark_contracts.ids import uuid7
from datapark_kit.auth import Principal
from datapark_kit.errors import InvalidState, NotFound, Unprocessable
from datapark_kit.pagination import cursor_id, keyset_page

WHAT = "data product"
VALUABLE_STATES = frozenset({"registered", "listed", "suspended", "delisted"})


def inputs_of(body: ValuationCreate) -> methods.ValuationInputs:
    """The approach's inputs from the request; the other approaches' fields must be absent."""
    if body.method == "cost":
        if body.cost_lines is None:
            raise Unprocessable("the cost approach needs cost_lines", field="cost_lines")
        return methods.CostApproachInputs(
            tuple(methods.CostLine(x.label, x.amount.amount) for x in body.cost_lines),
            body.obsolescence_rate,
        )
    if body.method == "income":
        if body.projected_income is None:
            raise Unprocessable(
                "the income approach needs projected_income", field="projected_income"
            )
        if body.discount_rate is None:
            raise Unprocessable("the income approach needs a discount_rate", field="discount_rate")
        return methods.IncomeApproachInputs(
            tuple(x.amount for x in body.projected_income), body.discount_rate
        )
    if body.comparables is None:
        raise Unprocessable("the market approach needs comparables", field="comparables")
    return methods.MarketApproachInputs(
        tuple(
            methods.Comparable(
                c.reference,
                c.price.amount,
                tuple(methods.AdjustmentFactor(a.name, a.factor) for a in c.adjustments),
            )
            for c in body.comparables
        )
    )


def inputs_document(inputs: methods.ValuationInputs) -> dict[str, Any]:
    """The inputs as stored and returned, so anyone can redo the arithmetic."""
    if isinstance(inputs, methods.CostApproachInputs):
        return {
            "cost_lines": [{"label": x.label, "amount": str(x.amount)} for x in inputs.lines],
            "obsolescence_rate": str(inputs.obsolescence_rate),
        }
    if isinstance(inputs, methods.IncomeApproachInputs):
        return {
            "projected_income": [str(x) for x in inputs.projected_income],
            "discount_rate": str(inputs.discount_rate),
        }
    return {
        "comparables": [
            {
                "reference": c.reference,
                "price": str(c.price),
                "adjustments": [{"name": a.name, "factor": str(a.factor)} for a in c.adjustments],
            }
            for c in inputs.comparables
        ]
    }


def _record_of(row: BalanceSheetRow) -> BalanceSheetRecord:
    return BalanceSheetRecord(
        classification=AssetClassification(row.classification),
        cost_lines=tuple(
            BookCostLine(
                CostLineKind(x["kind"]),
                str(x["description"]),
                Decimal(x["amount"]),
                date.fromisoformat(x["incurred_on"]),
                Phase(x["phase"]) if x.get("phase") else None,
            )
            for x in row.cost_lines
        ),
        recognised_on=row.recognised_on,
        useful_life_months=row.useful_life_months,
        net_realisable_value=row.net_realisable_value,
        acquisition_mode=AcquisitionMode(row.acquisition_mode),
        ready_for_use_on=row.ready_for_use_on,
    )


def _line_document(line: BookCostLine) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": line.kind.value,
        "description": line.description,
        "amount": f"{line.amount:.2f}",
        "incurred_on": line.incurred_on.isoformat(),
    }
    if line.phase is not None:
        document["phase"] = line.phase.value
    return document


def _valuation_of(row: ValuationRow) -> methods.Valuation:
    # Only what ``latest`` and the impairment test read: amount, base date, method, appraiser.
    return methods.Valuation(
        methods.ValuationMethod(row.method),
        methods.MarketApproachInputs(()),
        row.base_date,
        row.appraiser_id,
        row.appraiser_name,
        row.amount,
        reference=row.id,
    )


class ValuationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.products = ProductRepository(session)
        self.repo = ValuationRepository(session)

    async def record(
        self, principal: Principal, product_id: uuid.UUID, body: ValuationCreate
    ) -> tuple[ValuationRow, Impairment | None]:
        """The owner records a valuation of its registered product; with it, the impairment
        test it is of the booked asset (None when there is none at its base date)."""
        product = await self._product(principal, product_id, owner=True)
        if product.state not in VALUABLE_STATES:
            raise InvalidState(
                WHAT,
                product.state,
                "value",
                f"a data product in state '{product.state}' cannot be valued before registration",
            )
        valuation = methods.appraise(
            inputs_of(body),
            base_date=body.base_date,
            appraiser_id=principal.participant_id,
            appraiser_name=body.appraiser_name,
        )
        row = ValuationRow(
            id=uuid7(),
            product_id=product.id,
            method=valuation.method.value,
            inputs=inputs_document(valuation.inputs),
            base_date=valuation.base_date,
            appraiser_id=valuation.appraiser_id,
            appraiser_name=valuation.appraiser_name,
            amount=valuation.amount,
            recorded_at=datetime.now(UTC),
        )
        await self.repo.add(row)
        [(_, test)] = [x for x in await self._tested(product.id) if x[0].id == row.id]
        return row, test

    async def history(
        self, principal: Principal, product_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[tuple[ValuationRow, Impairment | None]], str | None]:
        """A page of the product's valuations, oldest base date first, each with the
        impairment test it is of the booked asset, if any, and the cursor of the next page.

        The tests are worked out over every valuation (each one's depends on those before
        it), so the page is cut from the product's whole history: a product has a few."""
        await self._product(principal, product_id, owner=False)
        tested = await self._tested(product_id)
        start = 0
        after = cursor_id(cursor)
        if after is not None:
            positions = [i for i, (row, _) in enumerate(tested) if row.id == after]
            if not positions:
                raise Unprocessable("cursor is not one this API issued", field="cursor")
            start = positions[0] + 1
        return keyset_page(tested[start : start + limit + 1], limit, key=lambda x: x[0].id)

    async def _tested(self, product_id: uuid.UUID) -> list[tuple[ValuationRow, Impairment | None]]:
        rows = await self.repo.of_product(product_id)
        record_row = await self.repo.balance_sheet(product_id)
        tests: dict[uuid.UUID | None, Impairment] = {}
        if record_row is not None and rows:
            record = _record_of(record_row)
            last = max(v.base_date for v in rows)
            if last >= record.recognised_on:
                position = book_position(record, last, [_valuation_of(v) for v in rows])
                tests = {t.valuation_id: t for t in position.tests}
        return [(v, tests.get(v.id)) for v in rows]

    async def book(
        self, principal: Principal, product_id: uuid.UUID, body: BalanceSheetIn
    ) -> tuple[BookPosition, BalanceSheetRow]:
        """Create or replace the product's balance-sheet record (owner only); returns the
        book position as of today."""
        product = await self._product(principal, product_id, owner=True)
        record = validate_record(
            BalanceSheetRecord(
                classification=body.classification,
                cost_lines=tuple(
                    BookCostLine(x.kind, x.description, x.amount.amount, x.incurred_on, x.phase)
                    for x in body.cost_lines
                ),
                recognised_on=body.recognised_on,
                useful_life_months=body.useful_life_months,
                net_realisable_value=amount_of(body.net_realisable_value),
                acquisition_mode=body.acquisition_mode,
                ready_for_use_on=body.ready_for_use_on,
            )
        )
        row = await self.repo.balance_sheet(product.id, for_update=True)
        now = datetime.now(UTC)
        if row is None:
            row = BalanceSheetRow(product_id=product.id)
            self.session.add(row)
        row.classification = record.classification.value
        row.acquisition_mode = record.acquisition_mode.value
        row.cost_lines = [_line_document(x) for x in record.cost_lines]
        row.recognised_on = record.recognised_on
        row.ready_for_use_on = record.ready_for_use_on
        row.useful_life_months = record.useful_life_months
        row.net_realisable_value = record.net_realisable_value
        row.updated_at = now
        await self.session.flush()
        # A record recognised in the future has no position yet: show it as of recognition.
        return await self.position(principal, product_id, max(now.date(), record.recognised_on))

    async def position(
        self, principal: Principal, product_id: uuid.UUID, as_of: date
    ) -> tuple[BookPosition, BalanceSheetRow]:
        await self._product(principal, product_id, owner=False)
        row = await self.repo.balance_sheet(product_id)
        if row is None:
            raise NotFound("the product has no balance-sheet record")
        valuations = [_valuation_of(v) for v in await self.repo.of_product(product_id)]
        return book_position(_record_of(row), as_of, valuations), row

    async def disclosure(
        self,
        principal: Principal,
        participant_id: uuid.UUID,
        as_of: date,
        period_start: date | None = None,
    ) -> Disclosure:
        """The company's data resources on its balance sheet on ``as_of`` (records recognised
        later are not on it yet) and, given ``period_start``, on the day before it with the
        spend expensed in between; the company itself, operators and auditors."""
        principal.ensure_tenant(participant_id, "participant")
        if period_start is not None and period_start > as_of:
            raise Unprocessable("the period cannot start after as_of", field="period_start")
        if await ParticipantRepository(self.session).get(participant_id) is None:
            raise NotFound("participant not found")
        booked = [
            (row.product_id, title, _record_of(row))
            for row, title in await self.repo.balance_sheets_of_owner(participant_id)
            if row.recognised_on <= as_of
        ]
        valuations: dict[uuid.UUID, list[methods.Valuation]] = {}
        for v in await self.repo.of_products([product_id for product_id, _, _ in booked]):
            valuations.setdefault(v.product_id, []).append(_valuation_of(v))

        def items_on(day: date) -> list[Item]:
            return [
                Item(pid, title, book_position(record, day, valuations.get(pid, ())))
                for pid, title, record in booked
                if record.recognised_on <= day
            ]

        if period_start is None:
            return disclose(items_on(as_of))
        opening: list[Item] = []
        in_period = Expensed(
            sum((expensed_cost(r, as_of) for _, _, r in booked), ZERO),
            sum((expensed_research_cost(r, as_of) for _, _, r in booked), ZERO),
        )
        if period_start > date.min:
            eve = period_start - timedelta(days=1)
            opening = items_on(eve)
            in_period = Expensed(
                in_period.total - sum((expensed_cost(r, eve) for _, _, r in booked), ZERO),
                in_period.research
                - sum((expensed_research_cost(r, eve) for _, _, r in booked), ZERO),
            )
        return disclose(items_on(as_of), opening, in_period)

    async def _product(
        self, principal: Principal, product_id: uuid.UUID, *, owner: bool
    ) -> DataProduct:
        product = await self.products.get(product_id, for_update=owner)
        if product is None:
            raise NotFound(f"{WHAT} not found")
        if owner:
            ensure_owner(principal, product.owner_participant_id, WHAT)
        else:
            ensure_visible(principal, product.owner_participant_id, WHAT)
        return product
